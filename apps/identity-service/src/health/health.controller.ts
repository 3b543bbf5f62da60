import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/authenticated.decorator.js';
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
    if (this.shutdown.draining) throw new ServiceUnavailableException('shutting down');
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException('database unreachable');
    }
    return { status: 'ok', database: 'ok' };
  }
}
