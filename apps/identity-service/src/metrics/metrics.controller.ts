import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/access/index.js';
import { Metrics } from './metrics.js';

/** Prometheus scrape endpoint. It holds only counts and timings, never identities or secrets;
 *  in production keep it off the public ingress (the Helm chart scrapes it in-cluster). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Public()
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
