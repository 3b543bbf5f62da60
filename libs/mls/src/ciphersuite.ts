// RFC 9420 §5.1 cipher suites, as ts-mls implementations. Building one is async and costs
// key imports, so each is built once per process.
import { ciphersuites, getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';
import { ciphersuiteSignature, SUPPORTED_CIPHERSUITES } from './ciphersuite-signature.js';
import { MlsUnsupportedCiphersuiteError } from './errors.js';

const built = new Map<CiphersuiteName, Promise<CiphersuiteImpl>>();

export function isCiphersuiteName(name: string): name is CiphersuiteName {
  return Object.hasOwn(ciphersuites, name);
}

export async function ciphersuiteImpl(name: CiphersuiteName | string): Promise<CiphersuiteImpl> {
  if (!isCiphersuiteName(name)) throw new MlsUnsupportedCiphersuiteError(`unknown ciphersuite ${name}`);
  let impl = built.get(name);
  if (impl === undefined) {
    impl = getCiphersuiteImpl(getCiphersuiteFromName(name));
    built.set(name, impl);
  }
  try {
    return await impl;
  } catch (cause) {
    // post-quantum and Ed448 suites need optional peer packages that may be absent
    built.delete(name);
    throw new MlsUnsupportedCiphersuiteError(`ciphersuite ${name} is not available`, { cause });
  }
}

/**
 * The supported suites that ts-mls can build in this runtime (their optional peer packages,
 * such as @hpke/chacha20poly1305 for 0x0003, installed): what the service may advertise. A suite
 * it cannot build would be advertised and certified, yet every GroupInfo and KeyPackage of it
 * refused. `build` is replaceable for tests.
 */
export async function availableCiphersuites(build: (name: string) => Promise<unknown> = ciphersuiteImpl): Promise<number[]> {
  const builds = await Promise.all(
    SUPPORTED_CIPHERSUITES.map(async (code) => {
      try {
        await build(ciphersuiteSignature(code).name);
        return true;
      } catch (e) {
        if (e instanceof MlsUnsupportedCiphersuiteError) return false;
        throw e;
      }
    }),
  );
  return SUPPORTED_CIPHERSUITES.filter((_, i) => builds[i]);
}
