import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class CreateIdpLinkDto {
  @ApiProperty({ description: "the IdP connection's id or name", example: 'entra' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  idpConnection: string;

  @ApiPropertyOptional({
    description:
      "the person's subject under that connection as the service derives it (Okta `sub`, Entra `tid:oid`); " +
      'omitted: bound at their first sign-in through the connection that its own rules match (externalId, or a verified email where it opts in)',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  subject?: string;
}
