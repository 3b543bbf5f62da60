import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ServiceRefusal, ServiceTransport } from '#client-sdk';
import { ciphersuiteSignature, decodeX509Credential, SUPPORTED_CIPHERSUITES } from '#mls';
import {
  deviceIdentityUri,
  serviceIdentityUri,
  describePublicKey,
  identityOf,
  parseCertificate,
  X509ProfileError,
  type ClientIdentity,
} from '#x509-profile';
import { flag, type ParsedArgs } from './args.js';
import { readDevCredentials } from './dev-credentials.js';
import { chainFromPem } from './device-files.js';
import { CertificateNotValid, RefusedByService, UsageError } from './exit-codes.js';
import type { CliIo } from './log-commands.js';

/** A chain from chain.pem, credential.bin (RFC 9420 Credential) or one DER certificate. */
function chainOf(bytes: Buffer, file: string): Uint8Array[] {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return chainFromPem(text, file);
  try {
    return decodeX509Credential(new Uint8Array(bytes));
  } catch {
    try {
      return [new Uint8Array(parseCertificate(new Uint8Array(bytes)).rawData)];
    } catch {
      throw new UsageError(`${file} is neither PEM certificates, an MLS x509 Credential nor a DER certificate`);
    }
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

function describeIdentity(chain: Uint8Array[]): { line: string; identity?: ClientIdentity } {
  try {
    const identity = identityOf(chain);
    return identity.kind === 'device'
      ? { identity, line: `device ${identity.deviceId} of account ${identity.accountId} in org ${identity.org}` }
      : { identity, line: `service "${identity.service}" of org ${identity.org}` };
  } catch (e) {
    return { line: `none under the mls-identity profile (${(e as Error).message})` };
  }
}

interface StatusResult {
  status?: string;
  reason?: string;
  revokedAt?: string;
}

/** `POST /v1/certificates/status` with a delivery-service token (or any token the route accepts). */
async function statusOf(baseUrl: string, token: string, chain: Uint8Array[]): Promise<StatusResult> {
  const transport = new ServiceTransport({ baseUrl });
  try {
    const answer = await transport.json<{ results?: StatusResult[] }>('POST', '/v1/certificates/status', {
      bearer: token,
      body: { chains: [chain.map((c) => Buffer.from(c).toString('base64'))] },
    });
    return answer.results?.[0] ?? {};
  } catch (e) {
    if (e instanceof ServiceRefusal) throw new RefusedByService(`the status service refused the request: ${e.message}`, e.reason);
    throw e;
  }
}

/** `mlsid cert inspect FILE`: the profile fields of a device certificate, and its status at the service. */
export async function certInspect(args: ParsedArgs, io: CliIo): Promise<void> {
  const file = args.positional[0];
  if (!file || args.positional.length > 1) throw new UsageError('give one FILE (chain.pem, credential.bin or a DER certificate)');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const chain = chainOf(bytes, file);
  const leaf = parseCertificate(chain[0]!);
  const { line: who, identity } = describeIdentity(chain);
  const uri = !identity
    ? undefined
    : identity.kind === 'device'
      ? deviceIdentityUri(identity.org, identity.accountId, identity.deviceId)
      : serviceIdentityUri(identity.org, identity.service);
  let key: string;
  try {
    const algorithm = describePublicKey(new Uint8Array(leaf.publicKey.rawData)).algorithm;
    const suites = SUPPORTED_CIPHERSUITES.filter((cs) => ciphersuiteSignature(cs).keyAlgorithm === algorithm);
    key = `${algorithm}${suites.length > 0 ? ` (MLS cipher suites ${suites.map(hex).join(', ')})` : ''}`;
  } catch (e) {
    if (!(e instanceof X509ProfileError)) throw e;
    key = `unsupported (${e.message})`;
  }
  const now = Date.now();
  const left = leaf.notAfter.getTime() - now;
  const validity =
    left <= 0
      ? 'expired'
      : leaf.notBefore.getTime() > now
        ? 'not yet valid'
        : `${Math.floor(left / 3_600_000)} h ${Math.floor((left % 3_600_000) / 60_000)} min left`;
  const fields: [string, string][] = [
    ['file', `${file} (${chain.length} certificate${chain.length === 1 ? '' : 's'}, leaf first)`],
    ['holder', who],
    ['identity URI', uri ?? '-'],
    ['email', identity?.kind === 'device' ? identity.email : '-'],
    ['subject', leaf.subject || '-'],
    ['issuer', leaf.issuer],
    ['serial', leaf.serialNumber],
    ['not before', leaf.notBefore.toISOString()],
    ['not after', `${leaf.notAfter.toISOString()} (${validity})`],
    ['key', key],
    ['sha256', createHash('sha256').update(chain[0]!).digest('hex')],
  ];

  const dev = await readDevCredentials(io.cwd);
  const url = flag(args, 'url') ?? dev.baseUrl;
  const token = flag(args, 'token') ?? (flag(args, 'url') ? undefined : dev.dsToken);
  let notValid: string | undefined;
  if (url && token) {
    const s = await statusOf(url.replace(/\/+$/, ''), token, chain);
    const detail = [s.reason, s.revokedAt && `since ${s.revokedAt}`].filter(Boolean).join(', ');
    fields.push(['status', `${s.status ?? 'unknown'}${detail ? ` (${detail})` : ''}   from ${url}`]);
    if (s.status !== 'valid') notValid = `the service reports this certificate as ${s.status ?? 'unknown'}${detail ? ` (${detail})` : ''}`;
  } else {
    fields.push(['status', 'not checked (give --url and --token, or run where ./.data/dev-credentials.json is)']);
  }
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) io.out(`${k.padEnd(width)}  ${v}`);
  if (notValid) throw new CertificateNotValid(notValid);
}
