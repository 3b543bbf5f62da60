// RFC 9420 §12.1.8.1 external_senders GroupContext extension:
//   struct { SignaturePublicKey signature_key; Credential credential; } ExternalSender;
//   ExternalSender external_senders<V>;
// The extension data is the whole vector. ts-mls 1.6.4 writes and reads a single
// ExternalSender instead (and indexes senders by extension position), so the glue encodes,
// decodes and indexes the list itself; see README "ts-mls 1.6.4 workarounds".
import type { Extension, ExternalSender, GroupContext } from 'ts-mls';
import { encodeCredential, readCredential } from './credential.js';
import { MlsDecodeError, MlsExternalSenderNotListedError } from './errors.js';
import { concatBytes, encodeVector, PresentationReader } from './presentation-language.js';

/** §17.3 MLS Extension Types registry value of external_senders. */
export const EXTERNAL_SENDERS_EXTENSION_TYPE = 0x0005;

export function encodeExternalSenders(senders: readonly ExternalSender[]): Uint8Array {
  return encodeVector(concatBytes(senders.map((s) => concatBytes([encodeVector(s.signaturePublicKey), encodeCredential(s.credential)]))));
}

/** Decodes the extension data; the list must fill it exactly. Throws only MlsDecodeError. */
export function decodeExternalSenders(extensionData: Uint8Array): ExternalSender[] {
  const r = new PresentationReader(extensionData, 'external_senders');
  const senders = r.vectorOf((s) => ({ signaturePublicKey: s.vector(), credential: readCredential(s) }));
  r.end();
  return senders;
}

/** The GroupContext extension a group creator adds so that the listed senders may propose. */
export function externalSendersExtension(senders: readonly ExternalSender[]): Extension {
  return { extensionType: 'external_senders', extensionData: encodeExternalSenders(senders) };
}

function isExternalSendersExtension(e: Extension): boolean {
  return e.extensionType === 'external_senders' || e.extensionType === EXTERNAL_SENDERS_EXTENSION_TYPE;
}

/**
 * The external senders listed in a GroupContext, or undefined when the group has none.
 * §13.4: an extension type appears at most once, so two external_senders extensions are an error.
 */
export function externalSendersOf(groupContext: Pick<GroupContext, 'extensions'>): ExternalSender[] | undefined {
  const found = groupContext.extensions.filter(isExternalSendersExtension);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new MlsDecodeError('external_senders', 'extension appears more than once');
  return decodeExternalSenders(found[0]!.extensionData);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * sender_index of an external sender (§6, Sender.sender_index): its position WITHIN the
 * external_senders list, not the position of the extension among the GroupContext extensions.
 */
export function externalSenderIndex(groupContext: Pick<GroupContext, 'extensions'>, signaturePublicKey: Uint8Array): number {
  const senders = externalSendersOf(groupContext);
  const index = senders?.findIndex((s) => bytesEqual(s.signaturePublicKey, signaturePublicKey)) ?? -1;
  if (index < 0) {
    throw new MlsExternalSenderNotListedError(
      senders === undefined ? 'group has no external_senders extension' : 'signature key is not in external_senders',
    );
  }
  return index;
}
