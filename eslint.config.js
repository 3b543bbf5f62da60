// ESLint flat config. typescript-eslint's `recommended` set, without the type-checked rules:
// those build a TypeScript program per run and take minutes on this codebase; `tsc --noEmit`
// (npm run typecheck) already catches what they would. Formatting is Prettier's job.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './tools/eslint/module-boundaries.js';

// The service's modules (apps/identity-service/src/<module>/); see docs/architecture.md.
const SERVICE_ROOT = 'apps/identity-service/src';

// Which modules each module may import (the dependency graph of docs/architecture.md); keeps the
// folders free of cycles. Infrastructure modules may be imported by every feature module.
// Route access declarations (@Authenticated, @Public, Principal) live in common/access, so no
// feature depends on auth, which itself depends on orgs, devices and certificates.
const INFRASTRUCTURE = ['config', 'database', 'keys', 'metrics', 'health', 'outbox', 'audit'];
const MODULE_DEPENDENCIES = {
  orgs: [...INFRASTRUCTURE],
  transparency: [...INFRASTRUCTURE, 'orgs'],
  certificates: [...INFRASTRUCTURE, 'orgs', 'transparency'],
  devices: [...INFRASTRUCTURE, 'orgs', 'certificates', 'transparency'],
  accounts: [...INFRASTRUCTURE, 'devices', 'orgs', 'transparency'],
  removals: [...INFRASTRUCTURE, 'devices', 'accounts', 'certificates', 'orgs', 'transparency'],
  delivery: [...INFRASTRUCTURE, 'removals', 'devices', 'accounts', 'certificates'],
  enrollment: [...INFRASTRUCTURE, 'accounts', 'devices', 'certificates', 'orgs', 'transparency'],
  scim: [...INFRASTRUCTURE, 'orgs', 'accounts'],
  'admin-auth': [...INFRASTRUCTURE, 'orgs', 'enrollment'],
  auth: [...INFRASTRUCTURE, 'orgs', 'devices', 'certificates', 'admin-auth'],
  disclosure: [...INFRASTRUCTURE, 'orgs', 'transparency', 'removals'],
  cors: [...INFRASTRUCTURE, 'orgs', 'devices', 'enrollment'],
};

export default defineConfig([
  globalIgnores(['dist/', 'coverage/', '.data/', '**/node_modules/']),

  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // tsconfig's noUnusedLocals/noUnusedParameters already report these (and `npm test` runs tsc);
      // one source of truth, and the costliest rule of the set saved.
      '@typescript-eslint/no-unused-vars': 'off',
      // Security checks here spell out their fail-closed default (`let valid = false; try { valid =
      // verify() } catch { valid = false }`) on purpose; this rule calls the first assignment useless.
      'no-useless-assignment': 'off',
      // prom-client calls a metric's collect() with `this` bound to the metric, so the owner is
      // captured under a name (`const worker = this`) by design.
      '@typescript-eslint/no-this-alias': 'off',
      // The spec-mapped parsers (signed notes, checkpoints) reject control characters by regex.
      'no-control-regex': 'off',
      // A `let` read by a closure (a shutdown handler) before its one assignment must stay `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },

  // Tests and the demo script read JSON answers whose shape the assertions themselves check.
  {
    files: ['test/**/*.ts', '**/*.spec.ts', 'libs/*/test-support/**/*.ts', 'apps/mlsid/src/demo/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  {
    files: ['*.js', 'tools/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: { 'no-unused-vars': ['error', { varsIgnorePattern: '^_' }] },
  },

  // Libraries are portable, spec-mapped code: they know nothing of the service, NestJS or the ORM.
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**', '**/apps'], message: 'libs/ never import from apps/.' },
            { group: ['@nestjs/*'], message: 'libs/ are framework-free: no NestJS.' },
            { group: ['typeorm', 'typeorm/*'], message: 'libs/ do no persistence: no TypeORM.' },
          ],
        },
      ],
    },
  },

  // A module reaches another only through its public surface `../<module>/index.js`, and only a
  // module its entry in MODULE_DEPENDENCIES names; `common/` is the shared kernel, imported by path.
  {
    files: [`${SERVICE_ROOT}/**/*.ts`],
    plugins: { local: { rules: { 'module-boundaries': moduleBoundaries } } },
    rules: {
      'local/module-boundaries': ['error', { root: SERVICE_ROOT, shared: ['common'], allowed: MODULE_DEPENDENCIES }],
    },
  },
]);
