import type { GroupContext } from 'ts-mls';
import { decodeGroupContextBytes, decodeGroupInfoMessage, ratchetTreeOfGroupInfo, type PublicEpochState } from '#mls';

/** A stored epoch's public state: context, tree and confirmation tag (what following its commits needs). */
export type GroupState = PublicEpochState;

const MAX_ENTRIES = 20_000;

/**
 * Decoded GroupContext and tree of stored GroupInfos, keyed by group and epoch. A stored
 * GroupInfo was verified when it was reported, so decoding (not re-verifying) is enough;
 * an epoch's GroupInfo never changes meaning, so entries need no invalidation.
 */
export class GroupStateCache {
  private readonly entries = new Map<string, GroupState>();
  private readonly contexts = new Map<string, GroupContext>();

  /** The GroupContext alone; with `bytes` (the stored encoding) it is decoded when missing. */
  context(groupRef: string, epoch: string | bigint, bytes?: Uint8Array): GroupContext | undefined {
    const key = `${groupRef}:${epoch}`;
    let context = this.contexts.get(key) ?? this.entries.get(key)?.groupContext;
    if (!context && bytes) {
      context = decodeGroupContextBytes(bytes);
      if (this.contexts.size >= MAX_ENTRIES) this.contexts.delete(this.contexts.keys().next().value!);
      this.contexts.set(key, context);
    }
    return context;
  }

  peek(groupRef: string, epoch: string | bigint): GroupState | undefined {
    return this.entries.get(`${groupRef}:${epoch}`);
  }

  /** Remembers a state just verified (a report), so the next authorization need not decode it. */
  put(groupRef: string, epoch: string | bigint, state: GroupState): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(`${groupRef}:${epoch}`, state);
  }

  get(groupRef: string, epoch: string | bigint, groupInfo: Uint8Array): GroupState {
    const key = `${groupRef}:${epoch}`;
    let state = this.entries.get(key);
    if (!state) {
      const info = decodeGroupInfoMessage(groupInfo);
      state = { groupContext: info.groupContext, ratchetTree: ratchetTreeOfGroupInfo(info), confirmationTag: info.confirmationTag };
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, state);
    }
    return state;
  }
}
