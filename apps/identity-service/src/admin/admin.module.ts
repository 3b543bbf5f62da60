import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/index.js';
import { CertificatesModule } from '../certificates/index.js';
import { OrgsModule } from '../orgs/index.js';
import { AdminController } from './admin.controller.js';

@Module({ imports: [OrgsModule, AuditModule, CertificatesModule], controllers: [AdminController] })
export class AdminModule {}
