import type { GroupContext, RatchetTree } from 'ts-mls';
import { decodeGroupInfoMessage, ratchetTreeOfGroupInfo } from '#mls';

export interface GroupState {
  groupContext: GroupContext;
  ratchetTree: RatchetTree;
}

const MAX_ENTRIES = 20_000;

/**
 * Decoded GroupContext and tree of stored GroupInfos, keyed by group and epoch. A stored
 * GroupInfo was verified when it was reported, so decoding (not re-verifying) is enough;
 * an epoch's GroupInfo never changes meaning, so entries need no invalidation.
 */
export class GroupStateCache {
  private readonly entries = new Map<string, GroupState>();

  peek(groupRef: string, epoch: string | bigint): GroupState | undefined {
    return this.entries.get(`${groupRef}:${epoch}`);
  }

  get(groupRef: string, epoch: string | bigint, groupInfo: Uint8Array): GroupState {
    const key = `${groupRef}:${epoch}`;
    let state = this.entries.get(key);
    if (!state) {
      const info = decodeGroupInfoMessage(groupInfo);
      state = { groupContext: info.groupContext, ratchetTree: ratchetTreeOfGroupInfo(info) };
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, state);
    }
    return state;
  }
}
