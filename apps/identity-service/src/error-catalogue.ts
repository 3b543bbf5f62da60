import { AccountErrors } from './accounts/index.js';
import { ConsoleErrors } from './admin-console/index.js';
import { AdminAuthErrors } from './admin-auth/index.js';
import { AUDIT_CHAIN_BREAKS, AuditErrors } from './audit/index.js';
import { CertificateErrors } from './certificates/index.js';
import { CorsErrors } from './cors/index.js';
import { AuthErrors } from './common/access/index.js';
import type { ErrorFamily } from './common/errors/domain-error.js';
import { InfrastructureErrors } from './common/errors/infrastructure.errors.js';
import { LibraryErrors } from './common/errors/library-errors.js';
import { RequestErrors } from './common/errors/request.errors.js';
import { COMMIT_MEMBER_REASON_PREFIXES, COMMIT_REASONS, DeliveryErrors, MEMBER_REASONS } from './delivery/index.js';
import { DeviceErrors } from './devices/index.js';
import { EnrollmentErrors } from './enrollment/index.js';
import { HealthErrors } from './health/index.js';
import { OrgErrors } from './orgs/index.js';
import { RemovalErrors } from './removals/index.js';
import { TransparencyErrors } from './transparency/index.js';

/**
 * Every error family of the service: docs/errors.md is generated from this list
 * (`npm run docs:errors`), and test/architecture/error-catalogue.spec.ts keeps the two in step.
 * A module that declares a family with defineErrors adds it here.
 */
export const ERROR_FAMILIES: readonly ErrorFamily<string>[] = [
  RequestErrors,
  AuthErrors,
  AdminAuthErrors,
  OrgErrors,
  AccountErrors,
  DeviceErrors,
  CertificateErrors,
  EnrollmentErrors,
  CorsErrors,
  TransparencyErrors,
  RemovalErrors,
  DeliveryErrors,
  HealthErrors,
  ConsoleErrors,
  AuditErrors,
  InfrastructureErrors,
  LibraryErrors,
];

/** Reasons given inside 200 answers (judgements, not failed requests), documented beside the errors. */
export const JUDGEMENT_REASONS: readonly { title: string; reasons: Readonly<Record<string, string>> }[] = [
  { title: 'Member verdicts (credential and KeyPackage validation, `reasons[]`)', reasons: MEMBER_REASONS },
  { title: 'Commit authorization (`reasons[].code`)', reasons: COMMIT_REASONS },
  { title: 'Audit chain verification (`reason` of `GET …/audit/verify`, `mlsid audit verify`)', reasons: AUDIT_CHAIN_BREAKS },
  {
    title: 'Commit authorization: member verdicts of the committer, its UpdatePath leaf and added members, by prefix',
    reasons: Object.fromEntries(Object.entries(COMMIT_MEMBER_REASON_PREFIXES).map(([prefix, doc]) => [`${prefix}…`, doc])),
  },
];
