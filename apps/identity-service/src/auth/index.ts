/** The auth module's public surface: only the app module imports it (features declare access through common/access). */
export * from './auth.module.js';
