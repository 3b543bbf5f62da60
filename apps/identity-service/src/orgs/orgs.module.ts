import { Global, Module } from '@nestjs/common';
import { AuditorTokensService } from './auditor-tokens.service.js';
import { CredentialsService } from './credentials.service.js';
import { OrgsService } from './orgs.service.js';

@Global()
@Module({
  providers: [OrgsService, CredentialsService, AuditorTokensService],
  exports: [OrgsService, CredentialsService, AuditorTokensService],
})
export class OrgsModule {}
