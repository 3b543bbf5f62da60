import { Module } from '@nestjs/common';
import { AuditorTokensService } from './auditor-tokens.service.js';
import { CredentialsService } from './credentials.service.js';
import { OrgsService } from './orgs.service.js';
import { AuditModule } from '../audit/index.js';

@Module({
  imports: [AuditModule],
  providers: [OrgsService, CredentialsService, AuditorTokensService],
  exports: [OrgsService, CredentialsService, AuditorTokensService],
})
export class OrgsModule {}
