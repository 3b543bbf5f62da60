// Unit tests: the *.spec.ts files beside the code in apps/ and libs/. They do no I/O, so no
// PostgreSQL is started (no globalSetup); tests that need a database live in test/.
import base from './jest.config.js';

const { globalSetup: _setup, globalTeardown: _teardown, ...rest } = base;

export default {
  ...rest,
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'],
};
