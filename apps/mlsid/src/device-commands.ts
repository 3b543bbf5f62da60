import { hostname } from 'node:os';
import {
  EnrollmentFailed,
  freshJti,
  generateDeviceKeys,
  IdentityClient,
  keyBoundNonce,
  reauthenticationNonce,
  renewalRefusalOf,
  ServiceRefusal,
  ServiceUnavailable,
  SUPPORTED_CIPHERSUITES,
  type EnrolledDevice,
  type UserCodePrompt,
} from '#client-sdk';
import { flag, type ParsedArgs } from './args.js';
import { readDevCredentials, type DevCredentials } from './dev-credentials.js';
import { devConfirmEnrollment, devIdTokenFor } from './dev-sign-in.js';
import { deviceDirHoldsKey, readDeviceDir, writeDeviceDir } from './device-files.js';
import { RefusedByService, UsageError } from './exit-codes.js';
import type { CliIo } from './log-commands.js';

/** Why an enrollment can be refused, in words for the person at the terminal. */
const ENROLLMENT_REFUSALS: Record<string, string> = {
  access_denied: 'the sign-in was cancelled or denied at the IdP',
  expired_token: 'the code expired before the sign-in finished; run the command again',
  account_not_found: 'the org has no account for this user (is it provisioned over SCIM?)',
  account_inactive: 'the account is deactivated',
  account_subject_mismatch: 'the matching account is bound to another IdP identity',
  not_device_owner: "the signed-in user is not this device's account",
  device_revoked: 'this device was revoked; enroll a new device',
  device_expired: "this device expired (its certificate lapsed beyond the org's grace) and left its groups; enroll a new device",
  device_key_proof_invalid: 'the request was not signed with the key this device holds',
  id_token_nonce_mismatch: 'the ID token was not issued for this re-authentication (sign in with the printed nonce and pass its --jti)',
};

const RENEWAL_ADVICE: Record<string, string> = {
  revoked: 'this device or its account was revoked; it can no longer renew, enroll a new device',
  'reauthentication-required': 'the org requires a fresh sign-in: mlsid device reauthenticate --dir DIR',
  'key-already-used': 'the new key was used before; run the renewal again',
  expired: 'the certificate expired before it was renewed: mlsid device reauthenticate --dir DIR (within the org grace)',
};

/** SDK refusals become one clear line and exit code 5, an unreachable service exit code 4. */
function explainRefusal(action: 'enrollment' | 'renewal' | 're-authentication', baseUrl: string, e: unknown): unknown {
  if (e instanceof ServiceUnavailable)
    return new ServiceUnavailable(`${action} failed: the service at ${baseUrl} cannot be reached or failed (${e.message})`);
  if (e instanceof EnrollmentFailed) {
    return new RefusedByService(`${action} refused (${e.reason}): ${ENROLLMENT_REFUSALS[e.reason] ?? e.message}`, e.reason);
  }
  if (e instanceof ServiceRefusal) {
    const advice = action === 'renewal' ? RENEWAL_ADVICE[renewalRefusalOf(e)] : e.reason ? ENROLLMENT_REFUSALS[e.reason] : undefined;
    return new RefusedByService(`${action} refused${e.reason ? ` (${e.reason})` : ''}: ${advice ?? e.message}`, e.reason);
  }
  return e;
}

function required(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}

function ciphersuiteOf(args: ParsedArgs): number {
  const given = flag(args, 'ciphersuite') ?? '1';
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(given) ? Number(given) : NaN;
  if (!SUPPORTED_CIPHERSUITES.includes(n)) throw new UsageError(`--ciphersuite must be one of ${SUPPORTED_CIPHERSUITES.join(', ')}`);
  return n;
}

const PLATFORMS: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'macos', win32: 'windows' };

/** The DEV IdP of dev mode, and that it knows `login`. */
function devIdp(dev: DevCredentials, login: string): { issuer: string; appClientId: string } {
  const idp = dev.idp;
  if (!idp?.issuer || !idp.appClientId) {
    throw new UsageError('--dev-user works in dev mode only: no DEV IdP in ./.data/dev-credentials.json');
  }
  if (idp.users && !idp.users.includes(login)) throw new UsageError(`the DEV IdP has no user "${login}" (it has ${idp.users.join(', ')})`);
  return { issuer: idp.issuer, appClientId: idp.appClientId };
}

/**
 * `mlsid device enroll`: a fresh MLS signature key, certified through the org's IdP with
 * the SDK's enrollment (ID token in hand, or the device code flow), written to --out.
 */
export async function deviceEnroll(args: ParsedArgs, io: CliIo): Promise<void> {
  const out = required(flag(args, 'out'), '--out DIR is required');
  if (await deviceDirHoldsKey(out))
    throw new UsageError(`${out} already holds a device key: renew it (mlsid device renew --dir ${out}) or choose another --out`);
  const dev = await readDevCredentials(io.cwd);
  const baseUrl = required(flag(args, 'url') ?? dev.baseUrl, '--url is required (no ./.data/dev-credentials.json found)').replace(/\/+$/, '');
  const org = required(flag(args, 'org') ?? dev.org, '--org is required');
  const devUser = flag(args, 'dev-user');
  const idToken = flag(args, 'id-token');
  const flow = flag(args, 'flow') ?? (idToken || devUser ? 'token' : 'device');
  if (flow !== 'token' && flow !== 'device') throw new UsageError('--flow must be token or device');
  if (flow === 'token' && !idToken && !devUser) throw new UsageError('--flow token needs --id-token TOKEN (or --dev-user NAME in dev mode)');
  if (flow === 'device' && idToken) throw new UsageError('--id-token belongs to --flow token');
  const idp = devUser ? devIdp(dev, devUser) : undefined;
  const ciphersuite = ciphersuiteOf(args);
  const description = {
    deviceName: flag(args, 'name') ?? `${hostname()} (mlsid)`,
    platform: flag(args, 'platform') ?? PLATFORMS[process.platform] ?? process.platform,
    ...(flag(args, 'idp-connection') !== undefined && { idpConnection: flag(args, 'idp-connection')! }),
  };

  const client = new IdentityClient({ baseUrl, org });
  const keys = await generateDeviceKeys(ciphersuite);
  let device: EnrolledDevice;
  try {
    if (flow === 'token') {
      const token = idToken ?? (await devIdTokenFor(idp!, devUser!, await keyBoundNonce(keys)));
      device = await client.enroll({ flow: 'token', keys, idToken: token, ...description });
    } else {
      const onUserCode = async (prompt: UserCodePrompt) => {
        io.out(`To enroll this device, open ${prompt.verificationUri} and enter the code ${prompt.userCode}`);
        io.out(`  then sign in and confirm the device; the code expires at ${prompt.expiresAt.toISOString()}. Waiting...`);
        if (devUser) {
          await devConfirmEnrollment(prompt.verificationUri, prompt.userCode, devUser);
          io.err(`signed in as ${devUser} at the DEV IdP and confirmed the device`);
        }
      };
      device = await client.enroll({ flow: 'device', keys, onUserCode, ...description });
    }
  } catch (e) {
    throw explainRefusal('enrollment', baseUrl, e);
  }
  await writeDeviceDir(out, device, { baseUrl, org, accountId: device.accountId, deviceId: device.deviceId }, true);
  const c = device.certificate;
  io.out(`enrolled device ${device.deviceId} (account ${device.accountId}, org ${org}, cipher suite ${ciphersuite})`);
  io.out(`certificate serial ${c.serial}, valid until ${c.notAfter.toISOString()}, renew after ${c.renewAfter.toISOString()}`);
  io.out(`wrote ${out}/device.key (0600), chain.pem, credential.bin, device.json`);
}

/** `mlsid device renew`: a new certificate for the device in --dir, requested with its own key. */
export async function deviceRenew(args: ParsedArgs, io: CliIo): Promise<void> {
  const dir = required(flag(args, 'dir'), '--dir DIR is required (the --out of mlsid device enroll)');
  const { device, meta } = await readDeviceDir(dir);
  const baseUrl = (flag(args, 'url') ?? meta.baseUrl).replace(/\/+$/, '');
  const client = new IdentityClient({ baseUrl, org: device.org });
  const previous = device.certificate.serial;
  let keyRotated: boolean;
  try {
    ({ keyRotated } = await client.session(device).renew({ rotateKey: args.flags.has('rotate-key') }));
  } catch (e) {
    throw explainRefusal('renewal', baseUrl, e);
  }
  await writeDeviceDir(dir, device, { baseUrl: meta.baseUrl, org: meta.org, accountId: meta.accountId, deviceId: meta.deviceId }, keyRotated);
  const c = device.certificate;
  io.out(
    `renewed device ${device.deviceId}: serial ${previous} -> ${c.serial}${keyRotated ? ' with a new key' : ''}, valid until ${c.notAfter.toISOString()}`,
  );
}

/**
 * `mlsid device reauthenticate`: a fresh IdP sign-in for the device in --dir, which keeps its
 * id, identity and key and gets a new certificate. The ID token's nonce is bound to the device
 * key and the request's jti: in dev mode --dev-user signs in directly; elsewhere
 * `--print-nonce` prints a jti and the nonce to sign in with, and `--jti J --id-token T` sends it.
 */
export async function deviceReauthenticate(args: ParsedArgs, io: CliIo): Promise<void> {
  const dir = required(flag(args, 'dir'), '--dir DIR is required (the --out of mlsid device enroll)');
  const { device, meta } = await readDeviceDir(dir);
  const baseUrl = (flag(args, 'url') ?? meta.baseUrl).replace(/\/+$/, '');
  const devUser = flag(args, 'dev-user');
  const idToken = flag(args, 'id-token');
  const jti = flag(args, 'jti');
  if (args.flags.has('print-nonce')) {
    if (devUser || idToken || jti) throw new UsageError('--print-nonce takes no --dev-user, --id-token or --jti');
    const fresh = freshJti();
    io.out(`jti ${fresh}`);
    io.out(`nonce ${reauthenticationNonce(device.keys.subjectPublicKeyInfo, fresh)}`);
    io.out(`sign in at the IdP with this nonce, then: mlsid device reauthenticate --dir ${dir} --jti ${fresh} --id-token TOKEN`);
    return;
  }
  if (devUser && (idToken || jti)) throw new UsageError('--dev-user signs in itself: no --id-token or --jti with it');
  if (!devUser && !(idToken && jti)) {
    throw new UsageError('re-authentication needs --dev-user NAME (dev mode), or --jti J --id-token T (after --print-nonce)');
  }
  if (jti !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(jti)) throw new UsageError('--jti must be the one --print-nonce printed');
  const idp = devUser ? devIdp(await readDevCredentials(io.cwd), devUser) : undefined;
  const client = new IdentityClient({ baseUrl, org: device.org });
  const previous = device.certificate.serial;
  try {
    await client.session(device).reauthenticate(async (nonce) => idToken ?? devIdTokenFor(idp!, devUser!, nonce), {
      ...(jti !== undefined && { jti }),
      ...(flag(args, 'idp-connection') !== undefined && { idpConnection: flag(args, 'idp-connection')! }),
    });
  } catch (e) {
    throw explainRefusal('re-authentication', baseUrl, e);
  }
  await writeDeviceDir(dir, device, { baseUrl: meta.baseUrl, org: meta.org, accountId: meta.accountId, deviceId: meta.deviceId }, false);
  const c = device.certificate;
  io.out(`re-authenticated device ${device.deviceId} (same identity): serial ${previous} -> ${c.serial}, valid until ${c.notAfter.toISOString()}`);
}
