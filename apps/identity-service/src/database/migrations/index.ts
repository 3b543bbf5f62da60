import { Foundation1732600000000 } from './1732600000000-foundation.js';

/** Every migration, oldest first. Schema changes are made only through these (no synchronize). */
export const migrations = [Foundation1732600000000];
