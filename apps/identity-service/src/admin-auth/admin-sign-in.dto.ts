import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class CliLoginTokenDto {
  @ApiProperty({ description: 'the deviceCode of POST /v1/admin/orgs/{org}/cli-logins' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  deviceCode: string;
}
