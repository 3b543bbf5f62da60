/** The database module's public surface: other modules import only from here. */
export * from './database.module.js';
export * from './database-reachable.js';
export * from './embedded-postgres.js';
export * from './pg-listener.js';
