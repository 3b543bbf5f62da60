import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The confirmation page's form (application/x-www-form-urlencoded). */
export class ConfirmEnrollmentDto {
  /** The IdP's redirect query (code, state, iss), carried through the page unchanged. */
  @IsString()
  @MaxLength(8 * 1024)
  response: string;

  /** The code the enrolling device shows; absent when this browser typed it on the activation page. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  confirmation?: string;

  @IsOptional()
  @IsString()
  @MaxLength(16)
  decision?: string;
}

/** The device flow's activation form. */
export class ActivateEnrollmentDto {
  @IsString()
  @MaxLength(64)
  code: string;
}
