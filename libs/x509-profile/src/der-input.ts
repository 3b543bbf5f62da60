import { decodeBase64, encodeBase64, latin1 } from './bytes.js';
import { InputTooLargeError, MalformedInputError } from './errors.js';

/** Bytes or text of a DER object, or its RFC 7468 PEM ("textual encoding"). */
export type DerOrPem = Uint8Array | ArrayBuffer | string;

const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)\r?\n?-----END \1-----\s*$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Turns untrusted PEM or DER into exactly one DER SEQUENCE, enforcing a size limit before
 * parsing and refusing trailing bytes, so the ASN.1 parser never sees more than one object.
 * @param labels the RFC 7468 labels accepted for PEM input (e.g. `CERTIFICATE`).
 */
export function decodeDerOrPem(input: DerOrPem, labels: readonly string[], maxBytes: number): Uint8Array {
  const rawLength = typeof input === 'string' ? input.length : input.byteLength;
  if (rawLength > maxBytes * 2) {
    throw new InputTooLargeError(`input of ${rawLength} bytes exceeds the limit`);
  }
  let der: Uint8Array;
  const bytes = typeof input === 'string' ? undefined : input instanceof Uint8Array ? input : new Uint8Array(input);
  if (typeof input === 'string' || looksLikePem(bytes!)) {
    const text = typeof input === 'string' ? input : latin1(bytes!);
    der = decodePem(text.trim(), labels);
  } else {
    der = bytes!;
  }
  if (der.byteLength > maxBytes) {
    throw new InputTooLargeError(`DER object of ${der.byteLength} bytes exceeds the limit of ${maxBytes}`);
  }
  requireSingleDerSequence(der);
  return der;
}

function looksLikePem(bytes: Uint8Array): boolean {
  // Every object read here is a SEQUENCE (0x30), which no PEM text starts with; anything else
  // is read as text and must then be a PEM block.
  return bytes.byteLength > 0 && bytes[0] !== 0x30;
}

function decodePem(text: string, labels: readonly string[]): Uint8Array {
  const match = PEM_BLOCK.exec(text);
  if (!match) {
    throw new MalformedInputError('input is neither DER nor a single PEM block');
  }
  const [, label, body] = match;
  if (!labels.includes(label)) {
    throw new MalformedInputError(`unexpected PEM label "${label}", expected ${labels.join(' or ')}`);
  }
  const base64 = body.replace(/[\r\n\t ]/g, '');
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64_BODY.test(base64)) {
    throw new MalformedInputError('PEM body is not valid base64');
  }
  return decodeBase64(base64);
}

/**
 * Checks the outer tag-length header (X.690 §8.1.3, definite form, minimal length octets as DER
 * requires) and that the declared length covers the input exactly.
 */
export function requireSingleDerSequence(der: Uint8Array): void {
  if (der.byteLength < 2 || der[0] !== 0x30) {
    throw new MalformedInputError('DER input does not start with a SEQUENCE');
  }
  let length: number;
  let headerLength: number;
  const first = der[1];
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4 || der.byteLength < 2 + octets) {
      throw new MalformedInputError('DER length is indefinite or out of range');
    }
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i];
    if (der[2] === 0 || length < 0x80) {
      throw new MalformedInputError('DER length is not minimally encoded');
    }
    headerLength = 2 + octets;
  }
  if (headerLength + length !== der.byteLength) {
    throw new MalformedInputError('DER object is truncated or followed by trailing bytes');
  }
}

/** An ArrayBuffer holding exactly these bytes (the @peculiar parsers read whole buffers). */
export function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  // Not `bytes.slice()`: on a Node Buffer that is a view into a shared pool, not a copy.
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

/** RFC 7468 textual encoding: the given label, base64 in 64-character lines. */
export function encodePem(der: Uint8Array, label: 'CERTIFICATE' | 'X509 CRL' | 'CERTIFICATE REQUEST'): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
