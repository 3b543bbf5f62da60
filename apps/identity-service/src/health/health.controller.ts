import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Public } from '../common/access/index.js';
import { databaseAnswers } from '../database/index.js';
import { HealthErrors } from './health.errors.js';
import { ShutdownState } from './shutdown-state.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process is up and its event loop turns. */
  @Get('live')
  @Public()
  @Header('Cache-Control', 'no-store')
  live() {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers and we are not draining for shutdown. */
  @Get('ready')
  @Public()
  @Header('Cache-Control', 'no-store')
  async ready() {
    if (this.shutdown.draining) HealthErrors.raise('shutting_down', 'shutting down');
    if (!(await databaseAnswers(this.dataSource))) HealthErrors.raise('database_unreachable', 'database unreachable');
    return { status: 'ok', database: 'ok' };
  }
}
