import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { Metrics } from '../metrics/index.js';

/** Every listener's backend carries this application_name prefix (pg_stat_activity, tests). */
export const LISTENER_APPLICATION_NAME = 'mlsid-listener';

export interface PgListenerOptions {
  url: string;
  channels: readonly string[];
  applicationName: string;
  onNotification(channel: string, payload: string): void;
  /**
   * Called once LISTEN is active again after a connection loss: notifications sent while we
   * were away are lost for good, so whatever they would have invalidated must be re-read.
   */
  onReconnect?(): void;
  onStateChange?(connected: boolean): void;
  /** First retry after about `baseMs`, doubling up to `maxMs`; each delay jittered to 50-100%. */
  backoff?: { baseMs: number; maxMs: number };
}

const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 };

/**
 * A dedicated pg client that LISTENs on some channels and reconnects, with capped and jittered
 * backoff, whenever its connection fails (server restart, failover, pg_terminate_backend).
 * A pool cannot do this: LISTEN belongs to one session, and pg.Client never reconnects itself.
 */
export class PgListener {
  private readonly log = new Logger(PgListener.name);
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private isConnected = false;

  constructor(private readonly options: PgListenerOptions) {}

  get channels(): readonly string[] {
    return this.options.channels;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The first connection must succeed (as the app's own pool must): a failure here is fatal. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.setConnected(false);
    void client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: this.options.applicationName,
      connectionTimeoutMillis: 10_000,
    });
    // 'error' and 'end' both follow a lost connection; lost() acts once per client.
    client.on('error', (e) => this.lost(client, e.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', (n) => {
      if (client === this.client) this.options.onNotification(n.channel, n.payload ?? '');
    });
    this.client = client;
    await client.connect();
    for (const channel of this.options.channels) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    if (client !== this.client) return; // lost or stopped meanwhile
    const reconnected = this.attempt > 0;
    this.attempt = 0;
    this.setConnected(true);
    if (reconnected) {
      this.log.log(`listening on ${this.options.channels.join(', ')} again`);
      // Only now, with LISTEN active, is everything after this point sure to be notified.
      this.options.onReconnect?.();
    }
  }

  private lost(client: pg.Client, reason: string): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.setConnected(false);
    void client.end().catch(() => {});
    if (this.stopped) return;
    this.attempt++;
    const ceiling = Math.min(
      this.options.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs,
      (this.options.backoff?.baseMs ?? DEFAULT_BACKOFF.baseMs) * 2 ** (this.attempt - 1),
    );
    const delay = ceiling * (0.5 + Math.random() * 0.5);
    this.log.warn(`listener on ${this.options.channels.join(', ')} lost its connection (${reason}); reconnecting in ${Math.round(delay)} ms`);
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      // A failed attempt may or may not have emitted 'error' (which already rescheduled and
      // cleared this.client); lost() ignores any client but the current one, so this is safe.
      this.connect().catch((e: Error) => this.lost(this.client ?? client, e.message));
    }, delay);
    this.timer.unref();
  }

  private setConnected(connected: boolean): void {
    if (connected === this.isConnected) return;
    this.isConnected = connected;
    this.options.onStateChange?.(connected);
  }
}

/**
 * The app's notification listeners: opened by the modules that need them, their state exported
 * as the `pg_listener_connected{channel}` gauge and to readiness, stopped (no more reconnects)
 * when the app shuts down.
 */
@Injectable()
export class PgListeners implements OnModuleDestroy {
  private readonly listeners: PgListener[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {}

  /** Connects and LISTENs before returning; reconnects on its own afterwards. */
  async open(options: Omit<PgListenerOptions, 'url' | 'applicationName' | 'onStateChange'>): Promise<PgListener> {
    const url = (this.dataSource.options as { url?: string }).url;
    const listener = new PgListener({
      ...options,
      url: url!,
      applicationName: `${LISTENER_APPLICATION_NAME}:${options.channels.join(',')}`,
      onStateChange: (connected) => {
        for (const channel of options.channels) this.metrics.pgListenerConnected.set({ channel }, connected ? 1 : 0);
      },
    });
    this.listeners.push(listener);
    await listener.start();
    return listener;
  }

  /** Channels whose listener is down right now (readiness). */
  disconnected(): string[] {
    return this.listeners.filter((l) => !l.connected).flatMap((l) => [...l.channels]);
  }

  onModuleDestroy(): void {
    for (const listener of this.listeners) listener.stop();
  }
}
