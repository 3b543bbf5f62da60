import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/index.js';
import { OrgsModule } from '../orgs/index.js';
import { TransparencyModule } from '../transparency/index.js';
import { AdminController } from './admin.controller.js';
import { AuditController } from './audit.controller.js';

@Module({ imports: [OrgsModule, AuditModule, TransparencyModule], controllers: [AdminController, AuditController] })
export class AdminModule {}
