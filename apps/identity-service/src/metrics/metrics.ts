import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance (not prom-client's global), so tests can run several apps. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram;
  /** 1 while the PostgreSQL LISTEN client of a channel is connected (set by database/PgListeners). */
  readonly pgListenerConnected: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.pgListenerConnected = new Gauge({
      name: 'pg_listener_connected',
      help: 'Whether the PostgreSQL LISTEN client for a notification channel is connected (0 while reconnecting)',
      labelNames: ['channel'],
      registers: [this.registry],
    });
  }
}
