import { Module } from '@nestjs/common';
import { AdminConsoleController } from './admin-console.controller.js';

@Module({ controllers: [AdminConsoleController] })
export class AdminConsoleModule {}
