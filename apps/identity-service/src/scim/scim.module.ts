import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/index.js';
import { ScimBulkService } from './scim-bulk.service.js';
import { ScimDiscoveryController } from './scim-discovery.controller.js';
import { ScimGroupsController } from './scim-groups.controller.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimRootController } from './scim-root.controller.js';
import { readScimDocuments, SCIM_DOCUMENTS } from './scim-schema-files.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimUsersService } from './scim-users.service.js';
import { OrgsModule } from '../orgs/index.js';
import { AuditModule } from '../audit/index.js';

/** SCIM 2.0 under /scim/v2/{org}: thin controllers over #scim and the accounts use cases. */
@Module({
  imports: [AccountsModule, OrgsModule, AuditModule],
  // The root controller holds the catch-all 404, so it is registered last.
  controllers: [ScimUsersController, ScimGroupsController, ScimDiscoveryController, ScimRootController],
  providers: [{ provide: SCIM_DOCUMENTS, useFactory: () => readScimDocuments() }, ScimUsersService, ScimGroupsService, ScimBulkService],
})
export class ScimModule {}
