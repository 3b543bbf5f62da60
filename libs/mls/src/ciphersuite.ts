// RFC 9420 §5.1 cipher suites, as ts-mls implementations. Building one is async and costs
// key imports, so each is built once per process.
import { ciphersuites, getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';
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
