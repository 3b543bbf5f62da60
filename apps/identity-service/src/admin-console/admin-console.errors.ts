import { defineErrors } from '../common/errors/domain-error.js';

export const ConsoleErrors = defineErrors('console', {
  console_file_not_found: ['not_found', 'no console file at this path'],
  console_not_built: ['unavailable', 'the service was started without a built console (run npm run build)'],
});
