/** The outbox module's public surface: other modules import only from here. */
export * from './outbox.module.js';
export * from './outbox-handler.js';
export * from './outbox-message.entity.js';
export * from './outbox.service.js';
export * from './outbox.worker.js';
export type { LeasedLane } from './outbox-leased-lane.js';
