// RFC 9420 §6 MLSMessage: the framing every MLS object travels in. Decoding untrusted bytes
// yields either the message or an MlsDecodeError; the narrowing helpers turn "decoded but the
// wrong kind" into MlsUnexpectedContentError.
import { decodeMlsMessage, encodeMlsMessage, type GroupInfo, type KeyPackage, type MLSMessage, type PublicMessage } from 'ts-mls';
import { MlsUnexpectedContentError } from './errors.js';
import { decodeUntrusted } from './untrusted-decode.js';

export type { MLSMessage };

export function decodeMlsMessageBytes(bytes: Uint8Array): MLSMessage {
  return decodeUntrusted(decodeMlsMessage, bytes, 'MLSMessage');
}

export function encodeMlsMessageBytes(message: MLSMessage): Uint8Array {
  return encodeMlsMessage(message);
}

function expectWireformat<W extends MLSMessage['wireformat']>(message: MLSMessage, wireformat: W): Extract<MLSMessage, { wireformat: W }> {
  if (message.wireformat !== wireformat) {
    throw new MlsUnexpectedContentError(`expected ${wireformat}, got ${message.wireformat}`);
  }
  return message as Extract<MLSMessage, { wireformat: W }>;
}

export function publicMessageOf(message: MLSMessage): PublicMessage {
  return expectWireformat(message, 'mls_public_message').publicMessage;
}

export function groupInfoOf(message: MLSMessage): GroupInfo {
  return expectWireformat(message, 'mls_group_info').groupInfo;
}

export function keyPackageOf(message: MLSMessage): KeyPackage {
  return expectWireformat(message, 'mls_key_package').keyPackage;
}
