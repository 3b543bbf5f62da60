import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Public } from '../common/access/index.js';
import { databaseAnswers, PgListeners } from '../database/index.js';
import { HealthErrors } from './health.errors.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ShutdownState } from './shutdown-state.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly shutdown: ShutdownState,
    private readonly listeners: PgListeners,
    private readonly checks: ReadinessChecks,
  ) {}

  /** The process is up and its event loop turns. */
  @Get('live')
  @Public()
  @Header('Cache-Control', 'no-store')
  live() {
    return { status: 'ok' };
  }

  /**
   * Ready for traffic: the database answers, its notification listeners are connected (without
   * them revocations reach the status cache late and removal long polls wake late), no feature
   * module reports a problem (ReadinessChecks), and we are not draining for shutdown.
   */
  @Get('ready')
  @Public()
  @Header('Cache-Control', 'no-store')
  async ready() {
    if (this.shutdown.draining) HealthErrors.raise('shutting_down', 'shutting down');
    if (!(await databaseAnswers(this.dataSource))) HealthErrors.raise('database_unreachable', 'database unreachable');
    const down = this.listeners.disconnected();
    if (down.length > 0) HealthErrors.raise('listener_disconnected', `notification listener reconnecting: ${down.join(', ')}`);
    const [problem] = this.checks.problems();
    if (problem) HealthErrors.raise(problem.code, problem.message);
    return { status: 'ok', database: 'ok' };
  }
}
