// RFC 9420 §8.1 GroupContext: what an external sender needs of a group (group_id, epoch,
// cipher suite, extensions) without its ratchet tree, so a service can keep it compactly.
import type { GroupContext } from 'ts-mls';
import { decodeGroupContext, encodeGroupContext } from 'ts-mls/groupContext.js';
import { decodeUntrusted } from './untrusted-decode.js';

export function encodeGroupContextBytes(groupContext: GroupContext): Uint8Array {
  return encodeGroupContext(groupContext);
}

export function decodeGroupContextBytes(bytes: Uint8Array): GroupContext {
  return decodeUntrusted(decodeGroupContext, bytes, 'GroupContext');
}
