import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { availableCiphersuites, MLS_IMPLEMENTATION, MLS_KNOWN_DEVIATIONS } from '#mls';
import { mlsProfileNoteText } from '#protocol';
import { deviceIdentityUri, serviceIdentityUri } from '#x509-profile';
import { effectiveSettings, type Org } from '../orgs/index.js';
import { ciphersuiteName, ExternalSenderService } from '../removals/index.js';
import { KtLogs } from '../transparency/index.js';

export interface SignedMlsProfile {
  profile: Record<string, unknown>;
  /** c2sp.org/signed-note over mlsProfileNoteText(origin, profile), by the org's log key(s). */
  signedNote: string;
}

/** A disclosure is signed at most this often per org (a public route: no signature per request). */
const CACHE_MS = 30_000;

/**
 * The org's MLS profile (issue 15 "MLS profile disclosure"), computed from its configuration:
 * settings, the external senders in custody, the suites this build can serve, the log and its
 * keys; signed by the log key(s) that sign its checkpoints.
 */
@Injectable()
export class MlsProfileService {
  private readonly cache = new Map<string, { until: number; signed: SignedMlsProfile }>();

  constructor(
    private readonly senders: ExternalSenderService,
    private readonly logs: KtLogs,
  ) {}

  async disclose(org: Org): Promise<SignedMlsProfile> {
    const log = await this.logs.ensure(org.id);
    // a rotation (log key, settings) must show at once: the cache is per key set and settings
    const cacheKey = `${org.id}:${log.keyId}:${log.nextKeyId ?? ''}:${log.overlapUntil?.getTime() ?? ''}:${JSON.stringify(org.settings)}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.signed;
    const profile = await this.profile(org);
    const signed = await this.logs.signNote(org.id, mlsProfileNoteText(log.origin, profile));
    const result = { profile, signedNote: signed.note };
    this.cache.set(cacheKey, { until: Date.now() + CACHE_MS, signed: result });
    for (const [k, v] of this.cache) if (v.until <= Date.now()) this.cache.delete(k);
    return result;
  }

  private async profile(org: Org): Promise<Record<string, unknown>> {
    const settings = effectiveSettings(org.settings);
    const available = new Set(await availableCiphersuites());
    const suites = settings.enrollment.allowedCiphersuites.filter((s) => available.has(s));
    const senders = await this.senders.published(org.id);
    const log = await this.logs.ensure(org.id);
    return {
      org: org.slug,
      mls: {
        version: 'mls10',
        cipherSuites: suites.map((code) => ({ code, name: ciphersuiteName(code) ?? null })),
        implementation: { ...MLS_IMPLEMENTATION },
        knownDeviations: MLS_KNOWN_DEVIATIONS.map((d) => ({ ...d })),
        extensions: {
          groupContext: [
            {
              type: 'external_senders',
              code: 5,
              required: true,
              why: 'lists the org service as external sender so it can remove revoked devices (RFC 9420 §12.1.8.1, list form)',
            },
          ],
          groupInfo: [
            { type: 'ratchet_tree', code: 2, required: true, why: 'delivery services report GroupInfo with the ratchet tree after every commit' },
          ],
        },
        externalProposals: ['remove', 'group_context_extensions'],
        externalSenders: senders.map((s) => ({
          ciphersuite: s.ciphersuite,
          status: s.status,
          identity: serviceIdentityUri(org.slug, 'removal'),
          signatureKeySha256: createHash('sha256').update(s.signatureKey).digest('hex'),
          signatureKey: s.signatureKey.toString('base64'),
          certificateNotAfter: s.notAfter.toISOString(),
        })),
      },
      credentials: {
        type: 'x509',
        chain: 'leaf, then the org intermediate CA (roots at /pki/{org}/roots.pem)',
        // the SAN URI of every device certificate: mls-identity://{org}/{account}/{device}
        identity: deviceIdentityUri(org.slug, 'ACCOUNT', 'DEVICE').replace('ACCOUNT', '{account}').replace('DEVICE', '{device}'),
        keyBinding: 'the leaf signature_key is the certificate subject public key (RFC 9420 §5.3.1)',
        caAlgorithm: settings.certificates.caAlgorithm,
        status: ['POST /v1/certificates/status', `/pki/${org.slug}/crl/{file}`],
      },
      certificates: {
        lifetimeDays: settings.certificates.lifetimeDays,
        reauthenticateAfterDays: settings.certificates.reauthenticateAfterDays,
        expiredDeviceGraceDays: settings.certificates.expiredDeviceGraceDays,
        supersededGraceDays: settings.certificates.supersededGraceDays,
        crlValidityMinutes: settings.certificates.crlValidityMinutes,
      },
      reauthentication: {
        afterDays: settings.certificates.reauthenticateAfterDays,
        maxSignInAgeSeconds: settings.enrollment.maxSignInAgeS,
        promptLogin: settings.enrollment.promptLogin,
      },
      removals: {
        overdueAfterMinutes: settings.removals.overdueAfterMinutes,
        reportStaleAfterMinutes: settings.removals.reportStaleAfterMinutes,
        triggers: ['device revoked', 'device expired', 'account deprovisioned'],
      },
      membership: {
        defaultPolicy: settings.groups.membershipPolicy,
        roomAdmins: 'the group creator; room admins may remove others and change group context extensions',
      },
      transparency: {
        origin: log.origin,
        verifierKeys: await this.logs.verifierKeys(log),
        checkpoint: `/kt/${org.slug}/checkpoint`,
      },
    };
  }
}
