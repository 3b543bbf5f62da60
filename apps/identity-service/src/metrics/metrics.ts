import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance (not prom-client's global), so tests can run several apps. */
export class Metrics {
  readonly registry = new Registry();
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
