// New-device and key-change events for an account, read from the key-transparency log's
// account history (proven entries), not from the service's word: a server that hides a new
// device would have to hide its log entries too, which the log's consistency catches.
import { encodeHex } from './base64.js';
import type { LogEntry, TransparencyLog } from './transparency-log.js';
import { readJson, writeJson, type SdkStorage } from './storage.js';
import type { Clock } from './timers.js';

export type AccountEvent =
  | { type: 'device-added'; index: number; at: Date; deviceId: string; keySha256?: string }
  | { type: 'key-changed'; index: number; at: Date; deviceId: string; previousKeySha256: string; keySha256: string }
  | { type: 'device-revoked'; index: number; at: Date; deviceId?: string; certificateSha256?: string; reason?: string }
  | { type: 'account-deprovisioned'; index: number; at: Date; reason?: string }
  | { type: 'account-reactivated'; index: number; at: Date; reason?: string };

export interface AccountChanges {
  readonly accountId: string;
  /** True when this device had never looked at the account: every event is "new". */
  readonly firstLook: boolean;
  /** Events with a log index after the last look, in log order. */
  readonly events: readonly AccountEvent[];
  /** Size of the checkpoint the history was proven in. */
  readonly checkpointSize: number;
  /** The account's devices and current MLS signature key hashes, as the log says. */
  readonly devices: Readonly<Record<string, { keySha256?: string; revoked: boolean }>>;
}

interface Seen {
  lastIndex: number;
  devices: Record<string, { keySha256?: string; revoked: boolean }>;
}

/** Replays entries over what was seen, producing the events of the new ones. */
export function accountEventsSince(entries: readonly LogEntry[], seen: Seen): { events: AccountEvent[]; seen: Seen } {
  const devices = structuredClone(seen.devices);
  // Each device's newest certificate, so that retiring a replaced one is not read as losing the device.
  const currentCertificate = new Map<string, string>();
  const events: AccountEvent[] = [];
  let lastIndex = seen.lastIndex;
  for (const { index, event } of entries) {
    const fresh = index > seen.lastIndex;
    lastIndex = Math.max(lastIndex, index);
    const at = new Date(event.timestamp);
    const key = event.mlsSignatureKeySha256 ? encodeHex(event.mlsSignatureKeySha256) : undefined;
    const device = event.device;
    switch (event.type) {
      case 'device_enrolled':
      case 'certificate_issued':
      case 'certificate_renewed': {
        if (!device) break;
        if (event.certificateSha256) currentCertificate.set(device, encodeHex(event.certificateSha256));
        const known = devices[device];
        if (!known) {
          devices[device] = { ...(key && { keySha256: key }), revoked: false };
          if (fresh) events.push({ type: 'device-added', index, at, deviceId: device, ...(key && { keySha256: key }) });
        } else if (key && known.keySha256 && key !== known.keySha256) {
          if (fresh) events.push({ type: 'key-changed', index, at, deviceId: device, previousKeySha256: known.keySha256, keySha256: key });
          known.keySha256 = key;
        } else if (key && !known.keySha256) {
          known.keySha256 = key;
        }
        break;
      }
      case 'certificate_revoked': {
        // A replaced certificate revoked (retired as superseded, say): the device stays. When the
        // device itself goes, its current certificate is revoked too and says so below.
        const revokedSha = event.certificateSha256 ? encodeHex(event.certificateSha256) : undefined;
        const current = device ? currentCertificate.get(device) : undefined;
        if (revokedSha && current && revokedSha !== current) break;
        if (device && devices[device]) devices[device]!.revoked = true;
        if (fresh) {
          events.push({
            type: 'device-revoked',
            index,
            at,
            ...(device && { deviceId: device }),
            ...(event.certificateSha256 && { certificateSha256: encodeHex(event.certificateSha256) }),
            ...(event.reason && { reason: event.reason }),
          });
        }
        break;
      }
      case 'device_expired':
        // The certificate lapsed beyond the org's grace: the device left its groups.
        if (device && devices[device]) devices[device]!.revoked = true;
        if (fresh) events.push({ type: 'device-revoked', index, at, ...(device && { deviceId: device }), reason: event.reason ?? 'expired' });
        break;
      case 'account_deprovisioned':
        if (fresh) events.push({ type: 'account-deprovisioned', index, at, ...(event.reason && { reason: event.reason }) });
        break;
      case 'account_reactivated':
        if (fresh) events.push({ type: 'account-reactivated', index, at, ...(event.reason && { reason: event.reason }) });
        break;
      default:
        break;
    }
  }
  return { events, seen: { lastIndex, devices } };
}

export class AccountWatcher {
  constructor(
    private readonly log: TransparencyLog,
    private readonly storage: SdkStorage,
    private readonly org: string,
  ) {}

  /** What changed for `accountId` since this device last looked (proven in the log). */
  async checkAccount(accountId: string): Promise<AccountChanges> {
    const key = `mls-identity/watch/${this.org}/${accountId}`;
    const before = await readJson<Seen>(this.storage, key);
    const history = await this.log.accountHistory(accountId);
    // Replaying from the start each time keeps device state right even for entries seen before.
    const replay = accountEventsSince(history.entries, { lastIndex: -1, devices: {} });
    const { events } = accountEventsSince(history.entries, { lastIndex: before?.lastIndex ?? -1, devices: {} });
    await writeJson(this.storage, key, replay.seen);
    return {
      accountId,
      firstLook: before === undefined,
      events,
      checkpointSize: history.checkpoint.checkpoint.size,
      devices: replay.seen.devices,
    };
  }

  /** Checks `accountId` every `intervalMs` until stopped; each non-empty result goes to `onChanges`. */
  watch(
    accountId: string,
    options: { intervalMs?: number; clock: Clock; onChanges: (changes: AccountChanges) => void; onError?: (error: unknown) => void },
  ): { stop(): void } {
    let stopped = false;
    let cancel: (() => void) | undefined;
    const tick = async () => {
      try {
        const changes = await this.checkAccount(accountId);
        if (!stopped && changes.events.length > 0) options.onChanges(changes);
      } catch (e) {
        if (!stopped) options.onError?.(e);
      }
      if (!stopped) cancel = options.clock.setTimer(() => void tick(), options.intervalMs ?? 60_000);
    };
    void tick();
    return {
      stop() {
        stopped = true;
        cancel?.();
      },
    };
  }
}
