// `Authorization: MLS-Device <JWS>`: a request signed with a device's certified MLS signature
// key. A compact JWS (RFC 7515) whose protected header carries `x5c` = the device's current
// chain (leaf first) and `typ: mls-device-request+jwt`, and whose payload binds the request:
//   { htm: method, htu: path (with query), iat: seconds, jti: unique, bh: base64url SHA-256(body) }
// So a captured header replays nothing: it is single-use (jti), short-lived (iat) and bound
// to one method, path and body. The SDK and the CLI sign here, the service verifies here.
// Portable: jose over WebCrypto, @noble/hashes for the body hash.
import { sha256 } from '@noble/hashes/sha2';
import { compactVerify, CompactSign, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { ciphersuiteSignature, SUPPORTED_CIPHERSUITES, webCryptoSignatureParams, type SignatureKeyAlgorithm } from '#mls';
import { describePublicKey, parseCertificate, X509ProfileError } from '#x509-profile';
import { decodeBase64, encodeBase64, encodeBase64Url } from './base64.js';

export const DEVICE_AUTH_SCHEME = 'MLS-Device';
export const DEVICE_REQUEST_TYP = 'mls-device-request+jwt';
/** A signed request older (or newer) than this is refused; the service keeps each jti this long. */
export const MAX_REQUEST_AGE_SECONDS = 120;
/** Leaf + intermediate (+ root): the chain an x509 credential may carry. */
const MAX_X5C = 4;

export interface DeviceRequest {
  readonly method: string;
  /** The path below the service root with its query, exactly as sent (`/v1/...?...`). */
  readonly pathWithQuery: string;
  /** The exact body bytes sent; absent for none. */
  readonly body?: Uint8Array;
}

export interface DeviceRequestClaims {
  htm: string;
  htu: string;
  iat: number;
  jti: string;
  bh: string;
}

/** The key and chain a request is signed with. */
export interface DeviceRequestSigner {
  /** RFC 9420 cipher suite of the key: names the JWS `alg`. */
  readonly ciphersuite: number;
  readonly privateKey: CryptoKey;
  /** The device's current chain, leaf first (DER). */
  readonly chainDer: readonly Uint8Array[];
}

/** Why a device-signed request was refused; `reason` is the stable code the service answers with. */
export class DeviceSignatureError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceSignatureError';
  }
}

/** `bh`: base64url SHA-256 of the exact body bytes (of none for a request without a body). */
export function bodyHash(body: Uint8Array | undefined): string {
  return encodeBase64Url(sha256(body ?? new Uint8Array()));
}

/**
 * The Authorization header value for one request. Each call makes a fresh `jti`: never reuse
 * a header. `now` (ms) and `jti` are for tests that need a stale or repeated signature.
 */
export async function signDeviceRequest(
  signer: DeviceRequestSigner,
  request: DeviceRequest,
  options: { now?: number; jti?: string; crypto?: Crypto } = {},
): Promise<string> {
  const random = (options.crypto ?? globalThis.crypto).getRandomValues(new Uint8Array(16));
  const claims: DeviceRequestClaims = {
    htm: request.method.toUpperCase(),
    htu: request.pathWithQuery,
    iat: Math.floor((options.now ?? Date.now()) / 1000),
    jti: options.jti ?? Array.from(random, (b) => b.toString(16).padStart(2, '0')).join(''),
    bh: bodyHash(request.body),
  };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: ciphersuiteSignature(signer.ciphersuite).jwsAlg, typ: DEVICE_REQUEST_TYP, x5c: signer.chainDer.map(encodeBase64) })
    .sign(signer.privateKey);
  return `${DEVICE_AUTH_SCHEME} ${jws}`;
}

/** Reads the chain from the JWS header without trusting anything yet. */
export function leafOf(jws: string): { leafDer: Uint8Array; chainDer: Uint8Array[] } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new DeviceSignatureError('malformed', 'the device signature is not a compact JWS');
  }
  if (header.typ !== DEVICE_REQUEST_TYP) throw new DeviceSignatureError('malformed', `typ must be ${DEVICE_REQUEST_TYP}`);
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || header.x5c.length > MAX_X5C) {
    throw new DeviceSignatureError('malformed', 'x5c must hold the device certificate chain');
  }
  const chainDer = header.x5c.map((c) => {
    const der = decodeBase64(String(c));
    if (!der) throw new DeviceSignatureError('malformed', 'x5c entries must be base64 DER');
    return der;
  });
  return { leafDer: chainDer[0]!, chainDer };
}

/** The JWS alg of a signature key algorithm, from the cipher-suite table. */
function jwsAlgOf(algorithm: SignatureKeyAlgorithm): string {
  return SUPPORTED_CIPHERSUITES.map(ciphersuiteSignature).find((s) => s.keyAlgorithm === algorithm)!.jwsAlg;
}

async function leafKey(leafDer: Uint8Array): Promise<{ key: CryptoKey; alg: string }> {
  let spki: Uint8Array;
  try {
    spki = new Uint8Array(parseCertificate(leafDer).publicKey.rawData);
  } catch {
    throw new DeviceSignatureError('malformed', 'x5c[0] is not a certificate');
  }
  let algorithm: string | undefined;
  try {
    algorithm = describePublicKey(spki).algorithm;
  } catch (e) {
    if (!(e instanceof X509ProfileError)) throw e;
  }
  if (algorithm !== 'Ed25519' && algorithm !== 'P-256' && algorithm !== 'P-384') {
    throw new DeviceSignatureError('malformed', 'unsupported device key type');
  }
  const key = await globalThis.crypto.subtle.importKey(
    'spki',
    spki as Uint8Array<ArrayBuffer>,
    webCryptoSignatureParams(algorithm).importParams,
    false,
    ['verify'],
  );
  return { key, alg: jwsAlgOf(algorithm) };
}

/**
 * Verifies the signature with the leaf's key and the binding to this request. The caller
 * has already established that the leaf is a current certificate of a device, and keeps
 * each returned jti for MAX_REQUEST_AGE_SECONDS to refuse replays.
 */
export async function verifyDeviceRequest(
  jws: string,
  leafDer: Uint8Array,
  request: { method: string; pathWithQuery: string; body: Uint8Array | undefined; now?: number },
): Promise<DeviceRequestClaims> {
  const { key, alg } = await leafKey(leafDer);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: [alg] }));
  } catch (e) {
    if (e instanceof joseErrors.JOSEAlgNotAllowed) throw new DeviceSignatureError('bad_signature', `alg must be ${alg}`);
    throw new DeviceSignatureError('bad_signature', 'the request signature does not verify with the certificate key');
  }
  let claims: DeviceRequestClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
    if (typeof claims !== 'object' || claims === null) throw new TypeError('not an object');
  } catch {
    throw new DeviceSignatureError('malformed', 'the signed payload is not JSON');
  }
  const now = request.now ?? Math.floor(Date.now() / 1000);
  if (typeof claims.iat !== 'number' || Math.abs(now - claims.iat) > MAX_REQUEST_AGE_SECONDS) {
    throw new DeviceSignatureError('stale', 'the request signature is too old or from the future');
  }
  if (typeof claims.jti !== 'string' || claims.jti.length < 16 || claims.jti.length > 128) {
    throw new DeviceSignatureError('malformed', 'jti must be a unique string of 16-128 characters');
  }
  if (claims.htm !== request.method) throw new DeviceSignatureError('wrong_request', 'the signature is for another method');
  if (claims.htu !== request.pathWithQuery) throw new DeviceSignatureError('wrong_request', 'the signature is for another path');
  if (claims.bh !== bodyHash(request.body)) throw new DeviceSignatureError('wrong_request', 'the signature is for another body');
  return claims;
}
