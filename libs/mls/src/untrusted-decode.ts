// ts-mls decoders signal failure three ways (undefined, a thrown CodecError, or a TypeError
// from reading past a buffer) and accept trailing bytes. Every decoder the glue applies to
// bytes from outside goes through here so that the only failure callers see is MlsDecodeError.
import type { Decoder } from 'ts-mls';
import { MlsDecodeError } from './errors.js';

export function decodeUntrusted<T>(decoder: Decoder<T>, bytes: Uint8Array, structure: string): T {
  if (!(bytes instanceof Uint8Array)) throw new MlsDecodeError(structure, 'input is not a byte array');
  let result: [T, number] | undefined;
  try {
    result = decoder(bytes, 0);
  } catch (cause) {
    throw new MlsDecodeError(structure, 'malformed encoding', { cause });
  }
  if (result === undefined) throw new MlsDecodeError(structure, 'malformed encoding');
  if (result[1] !== bytes.length) {
    throw new MlsDecodeError(structure, `${bytes.length - result[1]} trailing bytes`);
  }
  return result[0];
}
