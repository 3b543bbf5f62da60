// Conformance suites driven by third-party material kept outside the repository (see
// test/conformance); `npm run test:conformance` runs them, the default suite does not.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/conformance/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/\\.data/'],
};
