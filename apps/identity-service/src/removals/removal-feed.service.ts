import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PgListeners } from '../database/index.js';
import { ShutdownState } from '../health/index.js';
import { REMOVAL_FEED_CHANNEL } from './removal-planner.service.js';
import { isOpenRemoval, markDelivered, removalsAfter } from './removal.repository.js';
import { removalView, type RemovalView } from './removal.view.js';

export const MAX_WAIT_SECONDS = 60;
export const MAX_FEED_PAGE = 1000;
/** Long polls re-read this often even without a notification (a backstop; a reconnect wakes them too). */
const RECHECK_MS = 2_000;

export interface FeedPage {
  removals: RemovalView[];
  /** Pass as `after` to continue; it moves past superseded and committed rows too. */
  cursor: string;
}

/**
 * The delivery-service feed: live proposals (pending or delivered) after a cursor, oldest
 * first. Long polls wait on a PostgreSQL NOTIFY sent by the transaction that stored new
 * proposals, so a poll on any replica wakes when a planner on any replica commits.
 */
@Injectable()
export class RemovalFeedService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly listeners: PgListeners,
    shutdown: ShutdownState,
  ) {
    // On SIGTERM, before the HTTP server closes: a parked long poll would hold the close for up
    // to a minute, past the grace period. Answered now, the DS client polls again elsewhere.
    shutdown.onDrain(() => this.stopWaiting());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listeners.open({
      channels: [REMOVAL_FEED_CHANNEL],
      onNotification: (_channel, orgId) => this.wake(orgId),
      // Proposals stored while the connection was down were never notified: every poll re-reads.
      onReconnect: () => this.wakeAll(),
    });
  }

  /** Nest closes the HTTP server after this hook: covers `app.close()` without a SIGTERM. */
  beforeApplicationShutdown(): void {
    this.stopWaiting();
  }

  onApplicationShutdown(): void {
    this.stopWaiting();
  }

  /** Parked polls answer with what they have; new ones no longer wait. */
  private stopWaiting(): void {
    this.closing = true;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const org of [...this.waiters.keys()]) this.wake(org);
  }

  private wake(orgId: string): void {
    const set = this.waiters.get(orgId);
    if (!set) return;
    this.waiters.delete(orgId);
    for (const resolve of set) resolve();
  }

  private waitFor(orgId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(orgId);
      if (!set) this.waiters.set(orgId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref();
      set.add(done);
    });
  }

  /** The DS client's page: removals of the groups it owns (a group is its registering client's). */
  async read(orgId: string, dsClientId: string, after: string, limit: number): Promise<FeedPage> {
    const rows = await removalsAfter(this.dataSource, orgId, dsClientId, after, limit);
    const live = rows.filter((r) => isOpenRemoval(r.status));
    const firstDelivery = live.filter((r) => r.status === 'pending').map((r) => r.id);
    if (firstDelivery.length > 0) await markDelivered(this.dataSource, firstDelivery);
    return {
      removals: live.map((r) => removalView({ ...r, status: r.status === 'pending' ? 'delivered' : r.status })),
      cursor: rows.length > 0 ? String(rows[rows.length - 1]!.id) : after,
    };
  }

  /** Returns as soon as there is something after the cursor, or after `waitSeconds`. */
  async poll(orgId: string, dsClientId: string, after: string, limit: number, waitSeconds: number): Promise<FeedPage> {
    // Draining: answer at once, as a long poll that timed out would (and park no waiter).
    if (this.closing) return this.read(orgId, dsClientId, after, limit);
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      // Listen before reading, so a commit between the read and the wait is not missed.
      const woken = this.waitFor(orgId, Math.min(RECHECK_MS, deadline - Date.now()));
      const page = await this.read(orgId, dsClientId, after, limit);
      if (page.removals.length > 0 || Date.now() >= deadline || this.closing) return page;
      after = page.cursor;
      await woken;
    }
  }
}
