import { createPublicKey } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { KeyAlgorithm } from './custody-key.entity.js';
import { KeyNotFoundError, KeyStoreUnavailableError } from './keys.errors.js';

/** PKCS#11 3.0 identifiers that pkcs11js 2.1 (a 2.40 binding) does not name. */
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

/** DER OBJECT IDENTIFIERs for CKA_EC_PARAMS: prime256v1, secp384r1 (RFC 5480) and id-Ed25519 (RFC 8410). */
const EC_PARAMS: Record<KeyAlgorithm, Buffer> = {
  'ECDSA-P256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'ECDSA-P384': Buffer.from('06052b81040022', 'hex'),
  Ed25519: Buffer.from('06032b6570', 'hex'),
};

interface Mechanisms {
  generate: number;
  keyType: number;
  sign: number;
}

const MECHANISMS: Record<KeyAlgorithm, Mechanisms> = {
  // CKM_ECDSA signs a digest the caller computed: SoftHSM2 has no CKM_ECDSA_SHA256, and a hash is no secret.
  'ECDSA-P256': { generate: pkcs11js.CKM_EC_KEY_PAIR_GEN, keyType: pkcs11js.CKK_EC, sign: pkcs11js.CKM_ECDSA },
  'ECDSA-P384': { generate: pkcs11js.CKM_EC_KEY_PAIR_GEN, keyType: pkcs11js.CKK_EC, sign: pkcs11js.CKM_ECDSA },
  Ed25519: { generate: CKM_EC_EDWARDS_KEY_PAIR_GEN, keyType: CKK_EC_EDWARDS, sign: CKM_EDDSA },
};

const MECHANISM_NAMES: Record<number, string> = {
  [pkcs11js.CKM_EC_KEY_PAIR_GEN]: 'CKM_EC_KEY_PAIR_GEN',
  [pkcs11js.CKM_ECDSA]: 'CKM_ECDSA',
  [CKM_EC_EDWARDS_KEY_PAIR_GEN]: 'CKM_EC_EDWARDS_KEY_PAIR_GEN',
  [CKM_EDDSA]: 'CKM_EDDSA',
};

export interface Pkcs11TokenOptions {
  module: string;
  tokenLabel?: string;
  slot?: number;
  pin: string;
  sessions: number;
}

/** What the token says about a private key's custody attributes (for checks and tests). */
export interface PrivateKeyAttributes {
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  /** Whether the token handed out CKA_VALUE when asked (it must not). */
  valueReadable: boolean;
}

/**
 * One PKCS#11 library per process path: C_Initialize may run once per process, so apps in one
 * process (tests, replicas) share the loaded module and the last to close finalizes it.
 */
const loaded = new Map<string, { p11: pkcs11js.PKCS11; users: number }>();

function acquire(module: string): pkcs11js.PKCS11 {
  const entry = loaded.get(module);
  if (entry) {
    entry.users++;
    return entry.p11;
  }
  const p11 = new pkcs11js.PKCS11();
  try {
    p11.load(module);
    // Signing and key generation run on libuv's thread pool (the *Async calls) while other
    // sessions are used from the main thread: the library must lock (PKCS#11 §5.4, CKF_OS_LOCKING_OK).
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    throw new KeyStoreUnavailableError(`cannot load the PKCS#11 module ${module}: ${(e as Error).message}`);
  }
  loaded.set(module, { p11, users: 1 });
  return p11;
}

function release(module: string): void {
  const entry = loaded.get(module);
  if (!entry || --entry.users > 0) return;
  loaded.delete(module);
  try {
    entry.p11.C_Finalize();
  } finally {
    entry.p11.close();
  }
}

function handleNumber(handle: Buffer): number {
  return handle.length >= 8 ? Number(handle.readBigUInt64LE(0)) : handle.readUInt32LE(0);
}

function ulong(value: Buffer | undefined): boolean {
  return value !== undefined && value.length > 0 && value[0] !== 0;
}

/** CKA_EC_POINT is a DER OCTET STRING around the point (SEC 1 uncompressed, or the 32 Ed25519 bytes). */
function unwrapOctetString(der: Buffer): Buffer {
  if (der[0] !== 0x04) return der;
  let offset = 2;
  let length = der[1];
  if (length & 0x80) {
    const n = length & 0x7f;
    length = der.subarray(2, 2 + n).reduce((acc, b) => acc * 256 + b, 0);
    offset = 2 + n;
  }
  return offset + length === der.length ? der.subarray(offset) : der;
}

/** SubjectPublicKeyInfo DER from the token's public point, built by node:crypto from a JWK. */
function spkiOf(algorithm: KeyAlgorithm, ecPoint: Buffer): Buffer {
  const point = unwrapOctetString(ecPoint);
  if (algorithm === 'Ed25519') {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url') }, format: 'jwk' }).export({
      type: 'spki',
      format: 'der',
    });
  }
  const size = algorithm === 'ECDSA-P256' ? 32 : 48;
  if (point.length !== 1 + 2 * size || point[0] !== 0x04) throw new KeyStoreUnavailableError('the token returned an EC point in an unexpected form');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: algorithm === 'ECDSA-P256' ? 'P-256' : 'P-384',
      x: point.subarray(1, 1 + size).toString('base64url'),
      y: point.subarray(1 + size).toString('base64url'),
    },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
}

/**
 * The small surface of PKCS#11 the key store needs, over pkcs11js: generate a key pair whose
 * private half is sensitive and never extractable, find it again by CKA_ID (the custody row's
 * id), and sign with it. A pool of logged-in sessions runs one operation each at a time, since
 * a PKCS#11 session holds a single active sign operation.
 */
export class Pkcs11Token {
  private readonly p11: pkcs11js.PKCS11;
  private readonly slot: Buffer;
  private readonly idle: Buffer[] = [];
  private readonly waiting: ((session: Buffer) => void)[] = [];
  private readonly all: Buffer[] = [];
  private readonly privateKeys = new Map<string, Buffer>();
  private closed = false;
  readonly description: string;

  constructor(private readonly options: Pkcs11TokenOptions) {
    this.p11 = acquire(options.module);
    try {
      this.slot = this.findSlot();
      const info = this.p11.C_GetTokenInfo(this.slot);
      this.description = `token "${info.label.trim()}" (${info.manufacturerID.trim()} ${info.model.trim()}, serial ${info.serialNumber.trim()})`;
      for (let i = 0; i < options.sessions; i++) {
        const session = this.p11.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
        this.all.push(session);
        this.idle.push(session);
      }
      try {
        // Login is per application and token: one login covers every session.
        this.p11.C_Login(this.all[0], pkcs11js.CKU_USER, options.pin);
      } catch (e) {
        if ((e as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
          // The PIN is never part of the message.
          throw new KeyStoreUnavailableError(
            `PKCS#11 login to ${this.description} failed: ${(e as { code?: number }).code === pkcs11js.CKR_PIN_INCORRECT ? 'incorrect PIN' : (e as Error).message}`,
          );
        }
      }
    } catch (e) {
      this.closeSessions();
      release(options.module);
      throw e instanceof KeyStoreUnavailableError ? e : new KeyStoreUnavailableError(`PKCS#11 token unavailable: ${(e as Error).message}`);
    }
  }

  private findSlot(): Buffer {
    const slots = this.p11.C_GetSlotList(true);
    const { tokenLabel, slot } = this.options;
    const found = slots.find((s) => (tokenLabel !== undefined ? this.p11.C_GetTokenInfo(s).label.trim() === tokenLabel : handleNumber(s) === slot));
    if (!found) {
      throw new KeyStoreUnavailableError(
        tokenLabel !== undefined ? `no PKCS#11 token labelled "${tokenLabel}" in ${this.options.module}` : `no token in PKCS#11 slot ${slot}`,
      );
    }
    return found;
  }

  /**
   * The algorithms whose generation and signing mechanisms the token lacks. The service refuses
   * to start when one it needs is missing rather than keep such keys anywhere else.
   */
  unsupported(algorithms: readonly KeyAlgorithm[]): { algorithm: KeyAlgorithm; missing: string[] }[] {
    const available = new Set(this.p11.C_GetMechanismList(this.slot).map((m) => Number(m)));
    return algorithms
      .map((algorithm) => {
        const { generate, sign } = MECHANISMS[algorithm];
        return { algorithm, missing: [generate, sign].filter((m) => !available.has(m)).map((m) => MECHANISM_NAMES[m] ?? `0x${m.toString(16)}`) };
      })
      .filter((u) => u.missing.length > 0);
  }

  private async withSession<T>(work: (session: Buffer) => Promise<T>): Promise<T> {
    if (this.closed) throw new KeyStoreUnavailableError('the PKCS#11 key store is closed');
    const session = this.idle.pop() ?? (await new Promise<Buffer>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(session);
    } finally {
      const next = this.waiting.shift();
      if (next) next(session);
      else this.idle.push(session);
    }
  }

  /** A key pair on the token: the private key sensitive, never extractable, usable only to sign. */
  async generate(id: string, label: string, algorithm: KeyAlgorithm): Promise<Buffer> {
    const { generate, keyType } = MECHANISMS[algorithm];
    const ckaId = Buffer.from(id.replaceAll('-', ''), 'hex');
    return this.withSession(async (session) => {
      const pair = await this.p11.C_GenerateKeyPairAsync(
        session,
        { mechanism: generate },
        [
          // The public key is only read once, into the custody row; it need not outlive the session.
          { type: pkcs11js.CKA_TOKEN, value: false },
          { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
          { type: pkcs11js.CKA_EC_PARAMS, value: EC_PARAMS[algorithm] },
          { type: pkcs11js.CKA_VERIFY, value: true },
        ],
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_DECRYPT, value: false },
          { type: pkcs11js.CKA_DERIVE, value: false },
          { type: pkcs11js.CKA_UNWRAP, value: false },
          { type: pkcs11js.CKA_ID, value: ckaId },
          { type: pkcs11js.CKA_LABEL, value: label },
        ],
      );
      const [point] = this.p11.C_GetAttributeValue(session, pair.publicKey, [{ type: pkcs11js.CKA_EC_POINT }]);
      this.p11.C_DestroyObject(session, pair.publicKey);
      this.privateKeys.set(id, pair.privateKey);
      return spkiOf(algorithm, point.value as Buffer);
    });
  }

  private findPrivateKey(session: Buffer, id: string): Buffer {
    const cached = this.privateKeys.get(id);
    if (cached) return cached;
    this.p11.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(id.replaceAll('-', ''), 'hex') },
    ]);
    let found: Buffer[];
    try {
      found = this.p11.C_FindObjects(session, 2);
    } finally {
      this.p11.C_FindObjectsFinal(session);
    }
    if (found.length !== 1) throw new KeyNotFoundError(id);
    this.privateKeys.set(id, found[0]);
    return found[0];
  }

  /** Ed25519: the signature. ECDSA: r‖s over `digest`, which the caller hashed. */
  async sign(id: string, algorithm: KeyAlgorithm, input: Uint8Array): Promise<Buffer> {
    return this.withSession(async (session) => {
      const key = this.findPrivateKey(session, id);
      this.p11.C_SignInit(session, { mechanism: MECHANISMS[algorithm].sign }, key);
      return this.p11.C_SignAsync(session, Buffer.from(input), Buffer.alloc(algorithm === 'ECDSA-P384' ? 96 : 64));
    });
  }

  async attributes(id: string): Promise<PrivateKeyAttributes> {
    return this.withSession(async (session) => {
      const key = this.findPrivateKey(session, id);
      const [sensitive, extractable, alwaysSensitive, neverExtractable] = this.p11.C_GetAttributeValue(session, key, [
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
        { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
      ]);
      let valueReadable = false;
      try {
        this.p11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]);
        valueReadable = true;
      } catch {
        valueReadable = false;
      }
      return {
        sensitive: ulong(sensitive.value as Buffer),
        extractable: ulong(extractable.value as Buffer),
        alwaysSensitive: ulong(alwaysSensitive.value as Buffer),
        neverExtractable: ulong(neverExtractable.value as Buffer),
        valueReadable,
      };
    });
  }

  private closeSessions(): void {
    for (const session of this.all) {
      try {
        this.p11.C_CloseSession(session);
      } catch {
        // already closed with the module
      }
    }
    this.all.length = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeSessions();
    release(this.options.module);
  }
}
