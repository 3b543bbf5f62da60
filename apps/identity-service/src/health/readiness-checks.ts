import { Injectable } from '@nestjs/common';
import type { HealthErrors } from './health.errors.js';

type HealthCode = Parameters<typeof HealthErrors.raise>[0];

/** Why an instance should get no traffic, as a feature module sees it. */
export interface ReadinessProblem {
  code: HealthCode;
  message: string;
}

/**
 * Conditions owned by feature modules that make the instance unready (health is below them in
 * the dependency graph, so they register here rather than health importing them). A check is
 * synchronous and cheap: it reports state its owner keeps current, it does not go and look.
 */
@Injectable()
export class ReadinessChecks {
  private readonly checks = new Map<string, () => ReadinessProblem | null>();

  register(name: string, check: () => ReadinessProblem | null): void {
    this.checks.set(name, check);
  }

  problems(): ReadinessProblem[] {
    return [...this.checks.values()].map((check) => check()).filter((p): p is ReadinessProblem => p !== null);
  }
}
