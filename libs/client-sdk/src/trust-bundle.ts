// The org's trust bundle (`/pki/{org}/roots.pem`, `/pki/{org}/intermediates.pem`): public,
// unauthenticated and cacheable. Certificates are signed, so a tampered bundle only makes
// chains fail; which roots to trust is still a matter of reaching the right service.
import { decodeBase64 } from './base64.js';
import type { ServiceTransport } from './service-transport.js';
import type { Clock } from './timers.js';

export interface TrustBundle {
  readonly roots: readonly Uint8Array[];
  readonly intermediates: readonly Uint8Array[];
  readonly fetchedAt: Date;
}

/** The DER certificates of a PEM bundle, in order. */
export function certificatesFromPem(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    out.push(decodeBase64(m[1]!, 'PEM certificate'));
  }
  return out;
}

/** Matches the service's Cache-Control (5 minutes): a root rotation reaches devices that soon. */
export const TRUST_BUNDLE_TTL_MS = 5 * 60 * 1000;

export class TrustBundleCache {
  private current: { bundle: TrustBundle; until: number } | undefined;
  private loading: Promise<TrustBundle> | undefined;

  constructor(
    private readonly transport: ServiceTransport,
    private readonly org: string,
    private readonly clock: Clock,
    private readonly ttlMs = TRUST_BUNDLE_TTL_MS,
  ) {}

  async get(): Promise<TrustBundle> {
    if (this.current && this.current.until > this.clock.now()) return this.current.bundle;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Forgets the cached bundle (e.g. after a chain failed as untrusted, to pick up a new root). */
  invalidate(): void {
    this.current = undefined;
  }

  private async load(): Promise<TrustBundle> {
    const base = `/pki/${encodeURIComponent(this.org)}`;
    const [roots, intermediates] = await Promise.all([
      this.transport.text('GET', `${base}/roots.pem`),
      this.transport.text('GET', `${base}/intermediates.pem`),
    ]);
    const bundle = { roots: certificatesFromPem(roots), intermediates: certificatesFromPem(intermediates), fetchedAt: new Date(this.clock.now()) };
    this.current = { bundle, until: this.clock.now() + this.ttlMs };
    return bundle;
  }
}
