import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/index.js';
import { OrgsModule } from '../orgs/index.js';
import { AdminController } from './admin.controller.js';

@Module({ imports: [OrgsModule, AuditModule], controllers: [AdminController] })
export class AdminModule {}
