import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { PollingLoop } from '../common/polling-loop.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { Metrics } from '../metrics/index.js';
import { OrgsService, type Org } from '../orgs/index.js';
import type { OrgCa } from './ca.entity.js';
import { CertificateRepository } from './certificate.repository.js';
import { OrgCaService } from './org-ca.service.js';

export const CA_LIFECYCLE_ACTOR = 'system:ca-lifecycle';

/**
 * Watches CA expiry on every replica. It exports `certificate_authority_not_after_seconds
 * {org,kind}` (kind root, intermediate or external_sender; the earliest notAfter of the org's
 * active ones, in unix seconds), refreshed by this check rather than per scrape, and rotates an
 * org's intermediate once less than CA_RENEW_INTERMEDIATE_BEFORE_SECONDS of it is left. Roots
 * are never rotated automatically (relying parties must be given the new one): when the root
 * itself is that close, the intermediate cannot outlive it anyway, so only the alert on the
 * gauge remains, and this logs a warning.
 */
@Injectable()
export class CaLifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(CaLifecycleService.name);
  private readonly notAfter: Gauge;
  private readonly loop: PollingLoop;
  /** The time the check believes it is; tests move it forward. */
  clock: () => Date = () => new Date();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cas: OrgCaService,
    private readonly certificates: CertificateRepository,
    private readonly orgs: OrgsService,
    metrics: Metrics,
  ) {
    this.notAfter = new Gauge({
      name: 'certificate_authority_not_after_seconds',
      help: 'notAfter (unix seconds) of the earliest-expiring active CA certificate of each org and kind (root, intermediate, external_sender)',
      labelNames: ['org', 'kind'],
      registers: [metrics.registry],
    });
    this.loop = new PollingLoop(
      async () => {
        await this.check();
        return 0;
      },
      () => this.config.ca.checkIntervalMs,
      (e) => this.log.error(`CA expiry check failed: ${e.message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass: rotate what is about to lapse, then export every org's expiry. Returns the orgs rotated. */
  async check(): Promise<string[]> {
    const now = this.clock();
    const renewBefore = new Date(now.getTime() + this.config.ca.renewIntermediateBeforeSeconds * 1000);
    const orgs = new Map<string, Org | null>();
    const orgOf = async (id: string) => {
      if (!orgs.has(id)) orgs.set(id, await this.orgs.findById(id));
      return orgs.get(id) ?? null;
    };
    const rotated: string[] = [];
    for (const [orgId, cas] of byOrg(await this.cas.activeCas())) {
      const root = cas.find((c) => c.kind === 'root');
      const intermediate = cas.find((c) => c.kind === 'intermediate');
      if (!root || !intermediate || intermediate.notAfter > renewBefore) continue;
      const org = await orgOf(orgId);
      if (!org) continue;
      if (root.notAfter <= renewBefore) {
        this.log.warn(
          `org "${org.slug}": its root CA expires ${root.notAfter.toISOString()}; rotate the root (POST /v1/admin/orgs/${org.slug}/ca/rotate)`,
        );
        continue;
      }
      if (await this.cas.rotateIntermediateIfStillActive(CA_LIFECYCLE_ACTOR, org, intermediate.id)) {
        this.log.log(`org "${org.slug}": intermediate CA expiring ${intermediate.notAfter.toISOString()} rotated`);
        rotated.push(org.slug);
      }
    }
    await this.export(orgOf);
    return rotated;
  }

  private async export(orgOf: (id: string) => Promise<Org | null>): Promise<void> {
    const values: { org: string; kind: string; notAfter: Date }[] = [];
    const earliest = (org: string, kind: string, notAfter: Date) => {
      const seen = values.find((v) => v.org === org && v.kind === kind);
      if (!seen) values.push({ org, kind, notAfter });
      else if (notAfter < seen.notAfter) seen.notAfter = notAfter;
    };
    for (const ca of await this.cas.activeCas()) {
      const org = await orgOf(ca.orgId);
      if (org) earliest(org.slug, ca.kind, ca.notAfter);
    }
    for (const s of await this.certificates.serviceCertificateExpiry(this.dataSource.manager)) {
      const org = await orgOf(s.orgId);
      if (org) earliest(org.slug, 'external_sender', s.notAfter);
    }
    // Reset first: a deleted org or a kind no longer present must not linger at its old value.
    this.notAfter.reset();
    for (const v of values) this.notAfter.set({ org: v.org, kind: v.kind }, Math.floor(v.notAfter.getTime() / 1000));
  }
}

function byOrg(cas: OrgCa[]): Map<string, OrgCa[]> {
  const map = new Map<string, OrgCa[]>();
  for (const ca of cas) map.set(ca.orgId, [...(map.get(ca.orgId) ?? []), ca]);
  return map;
}
