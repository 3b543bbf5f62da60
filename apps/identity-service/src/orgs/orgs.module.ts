import { ConnectionAdminService } from './connection-admin.service.js';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditorTokensService } from './auditor-tokens.service.js';
import { CredentialCache } from './credential-cache.js';
import { CredentialsService } from './credentials.service.js';
import { OrgsService } from './orgs.service.js';
import { AuditModule } from '../audit/index.js';
import { Org } from './org.entity.js';
import { IdpConnection } from './idp-connection.entity.js';
import { ScimToken } from './scim-token.entity.js';
import { DsClient } from './ds-client.entity.js';
import { AuditorToken } from './auditor-token.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([Org, IdpConnection, ScimToken, DsClient, AuditorToken]), AuditModule],
  providers: [OrgsService, CredentialsService, AuditorTokensService, CredentialCache, ConnectionAdminService],
  exports: [OrgsService, CredentialsService, AuditorTokensService, ConnectionAdminService],
})
export class OrgsModule {}
