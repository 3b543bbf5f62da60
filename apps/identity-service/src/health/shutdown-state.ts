import { Injectable } from '@nestjs/common';

/**
 * Set on SIGTERM so readiness fails and the load balancer stops sending while we drain.
 * Whatever holds requests open on purpose (the DS long poll) subscribes to `onDrain` and
 * answers them at once: otherwise the HTTP server cannot close until they time out.
 */
@Injectable()
export class ShutdownState {
  draining = false;
  private readonly listeners: Array<() => void> = [];

  onDrain(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Idempotent; listeners run synchronously, before the caller goes on to close the server. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const listener of this.listeners) listener();
  }
}
