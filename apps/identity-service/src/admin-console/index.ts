/** The admin console's page and assets (apps/console, built into dist/console). */
export { AdminConsoleModule } from './admin-console.module.js';
export { ConsoleErrors } from './admin-console.errors.js';
