import { AuthErrors } from './common/access/index.js';
import type { ErrorFamily } from './common/errors/domain-error.js';
import { HealthErrors } from './health/health.errors.js';
import { OrgErrors } from './orgs/orgs.errors.js';

/**
 * Every error family of the service: docs/errors.md is generated from this list
 * (`npm run docs:errors`), and test/architecture/error-catalogue.spec.ts keeps the two in step.
 * A module that declares a family with defineErrors adds it here.
 */
export const ERROR_FAMILIES: readonly ErrorFamily<string>[] = [OrgErrors, AuthErrors, HealthErrors];
