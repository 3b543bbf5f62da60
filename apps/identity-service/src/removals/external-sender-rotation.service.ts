import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { GroupContext } from 'ts-mls';
import type { DataSource, EntityManager } from 'typeorm';
import { decodeGroupContextBytes, decodeX509Credential, externalSendersOf, signExternalSendersSwap } from '#mls';
import { AuditService } from '../audit/index.js';
import { KEY_STORE, type KeyStore } from '../keys/index.js';
import { OutboxService, OutboxWorker } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import { MlsExternalSender } from './external-sender.entity.js';
import { ciphersuiteCode, ExternalSenderService } from './external-sender.service.js';
import { RemovalWebhooksService } from './removal-webhooks.service.js';
import { RemovalErrors } from './removals.errors.js';
import {
  closeSwaps,
  completeRotation,
  countOpenSwaps,
  countRotationGroups,
  insertRotation,
  insertSwap,
  listedGroupsOfSuite,
  markSwapsDelivered,
  openRotations,
  OPEN_SWAP_SQL,
  openSwapsOfGroup,
  rotationGroups,
  swapsAfter,
  swapView,
  swapViewRows,
  type OpenRotationRow,
} from './sender-swap.repository.js';

export const SWAP_PROPOSED_EVENT = 'external_senders.swap_proposed';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * External-sender key rotation (docs/operations.md "Rotating the external-sender key"). A new
 * sender becomes current (published first; new groups list it) while the old one keeps
 * signing for every group that still lists it. Each such group gets a GroupContextExtensions
 * proposal, signed by the old key, that swaps the entry; it travels to the group's delivery
 * service like a Remove (feed and webhook) and is re-signed for each new epoch until a report
 * shows the group lists the new key. When no group is left (or an admin forces it), the old
 * sender is retired and its key leaves custody use. Removals never wait: a Remove is signed
 * with whichever of the two keys the group's reported context lists.
 */
@Injectable()
export class ExternalSenderRotationService {
  private readonly log = new Logger(ExternalSenderRotationService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly senders: ExternalSenderService,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    private readonly outbox: OutboxService,
    private readonly worker: OutboxWorker,
    private readonly audit: AuditService,
    private readonly webhooks: RemovalWebhooksService,
  ) {}

  /** Starts a rotation in every suite the org publishes a sender for. */
  async rotate(actor: string, orgId: string) {
    const suites = (await this.senders.all(orgId)).map((s) => s.ciphersuite);
    const { started, retire } = await this.dataSource.transaction(async (m) => {
      const started: { ciphersuite: number; previousSignatureKey: string; newSignatureKey: string; groups: number; completed: boolean }[] = [];
      const retire: string[] = [];
      for (const suite of suites) {
        await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mls_external_sender:${orgId}:${suite}`]);
        if ((await openRotations(m, orgId, suite)).length > 0) {
          throw RemovalErrors.error('external_sender_rotation_in_progress', `the sender of suite ${suite} is still being rotated`, {
            ciphersuite: suite,
          });
        }
        const old = await m.findOneByOrFail(MlsExternalSender, { orgId, ciphersuite: suite, status: 'current' });
        await m.update(MlsExternalSender, { id: old.id }, { status: 'retiring' });
        const next = await this.senders.certify(m, orgId, suite, this.senders.custodyAlgorithm(suite), null);
        const rotationId = await insertRotation(m, { orgId, ciphersuite: suite, oldSenderId: old.id, newSenderId: next.id, startedBy: actor });
        await this.logRotation(m, orgId, next, 'started');
        const rotation: OpenRotationRow = { id: rotationId, ciphersuite: suite, oldSenderId: old.id, newSenderId: next.id, startedAt: new Date() };
        let groups = 0;
        for (const g of await listedGroupsOfSuite(m, orgId, suite)) {
          const context = decodeGroupContextBytes(new Uint8Array(g.groupContext));
          if (!lists(context, old)) continue;
          await this.signSwap(m, orgId, rotation, g.ref, context, old, next);
          groups += 1;
        }
        let completed = false;
        if (groups === 0) {
          retire.push(await this.complete(m, orgId, rotation, null));
          completed = true;
        }
        started.push({
          ciphersuite: suite,
          previousSignatureKey: old.signatureKey.toString('base64'),
          newSignatureKey: next.signatureKey.toString('base64'),
          groups,
          completed,
        });
      }
      await this.audit.record(m, { orgId, actor, action: 'mls_external_sender.rotate', target: `org:${orgId}`, details: { rotations: started } });
      return { started, retire };
    });
    this.senders.forget(orgId);
    await this.retireKeys(retire);
    this.worker.nudge();
    return { rotations: started };
  }

  /**
   * After a verified report, in its transaction: for each open rotation of the group's suite,
   * a group that lists the new sender has moved (its swap is committed); one that still lists
   * the old sender has its swap for the current epoch (signed again when the epoch moved on);
   * a group that lists neither needs none. A rotation with no group left completes. Returns
   * the custody keys to retire once the transaction has committed.
   */
  async reconcileGroup(m: EntityManager, orgId: string, group: { ref: string; groupContext: GroupContext }): Promise<string[]> {
    const suite = ciphersuiteCode(group.groupContext.cipherSuite);
    const retire: string[] = [];
    for (const rotation of await openRotations(m, orgId, suite)) {
      const [old, next] = await Promise.all([
        m.findOneByOrFail(MlsExternalSender, { id: rotation.oldSenderId }),
        m.findOneByOrFail(MlsExternalSender, { id: rotation.newSenderId }),
      ]);
      const open = await openSwapsOfGroup(m, group.ref, { rotationId: rotation.id, forUpdate: true });
      const epoch = group.groupContext.epoch.toString();
      if (lists(group.groupContext, next)) {
        await closeSwaps(
          m,
          open.map((s) => s.id),
          'committed',
        );
      } else if (lists(group.groupContext, old)) {
        if (!open.some((s) => s.epoch === epoch)) {
          await closeSwaps(
            m,
            open.map((s) => s.id),
            'superseded',
          );
          await this.signSwap(m, orgId, rotation, group.ref, group.groupContext, old, next);
        }
      } else {
        await closeSwaps(
          m,
          open.map((s) => s.id),
          'superseded',
        );
      }
      if ((await countOpenSwaps(m, rotation.id)) === 0) retire.push(await this.complete(m, orgId, rotation, null));
    }
    return retire;
  }

  /** Retires the old senders now, listing the groups that had not moved (they lose the service's removals). */
  async forceRetire(actor: string, orgId: string) {
    const { result, retire } = await this.dataSource.transaction(async (m) => {
      const open = await openRotations(m, orgId);
      if (open.length === 0) throw RemovalErrors.error('no_external_sender_rotation', 'no external-sender rotation is in progress');
      const result: { ciphersuite: number; groupsLeftBehind: { groupId: string; epoch: string }[] }[] = [];
      const retire: string[] = [];
      for (const rotation of open) {
        const left = await rotationGroups(m, rotation.id, 'open', 10_000);
        await m.query(`UPDATE mls_sender_swap SET status = 'superseded' WHERE rotation_id = $1 AND ${OPEN_SWAP_SQL}`, [rotation.id]);
        retire.push(await this.complete(m, orgId, rotation, actor));
        result.push({
          ciphersuite: rotation.ciphersuite,
          groupsLeftBehind: left.map((g) => ({ groupId: g.groupId.toString('base64url'), epoch: g.epoch })),
        });
      }
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'mls_external_sender.retire_forced',
        target: `org:${orgId}`,
        details: { rotations: result },
      });
      return { result, retire };
    });
    this.senders.forget(orgId);
    await this.retireKeys(retire);
    return { retired: result };
  }

  /** Open rotations with how many groups moved and which have not (first 100). */
  async status(orgId: string) {
    const open = await openRotations(this.dataSource, orgId);
    return {
      rotations: await Promise.all(
        open.map(async (r) => ({
          ciphersuite: r.ciphersuite,
          startedAt: r.startedAt.toISOString(),
          groups: await countRotationGroups(this.dataSource, r.id),
          notMoved: (await rotationGroups(this.dataSource, r.id, 'open', 100)).map((g) => ({
            groupId: g.groupId.toString('base64url'),
            epoch: g.epoch,
          })),
        })),
      ),
    };
  }

  /** The delivery service's swap feed: open swaps of its groups after the cursor; first reads mark them delivered. */
  async feed(orgId: string, dsClientId: string, after: string, limit: number) {
    const rows = await swapsAfter(this.dataSource, orgId, dsClientId, after, limit);
    const live = rows.filter((r) => r.status === 'pending' || r.status === 'delivered');
    await markSwapsDelivered(
      this.dataSource,
      live.filter((r) => r.status === 'pending').map((r) => r.id),
    );
    return {
      swaps: live.map((r) => swapView({ ...r, status: 'delivered' })),
      cursor: rows.length > 0 ? String(rows[rows.length - 1]!.id) : after,
    };
  }

  async retireKeys(keyIds: readonly string[]): Promise<void> {
    for (const keyId of keyIds) {
      try {
        await this.keys.retire(keyId);
      } catch (e) {
        // the sender row is retired already, so the key signs nothing; a later retry is an admin's
        this.log.warn(`retiring external-sender key ${keyId} failed: ${e instanceof Error ? e.message : e}`);
      }
    }
  }

  private async signSwap(
    m: EntityManager,
    orgId: string,
    rotation: OpenRotationRow,
    groupRef: string,
    context: GroupContext,
    old: MlsExternalSender,
    next: MlsExternalSender,
  ): Promise<void> {
    const signed = await signExternalSendersSwap({
      groupContext: context,
      oldSignaturePublicKey: old.signatureKey,
      newSender: {
        signaturePublicKey: new Uint8Array(next.signatureKey),
        credential: { credentialType: 'x509', certificates: decodeX509Credential(new Uint8Array(next.credential)) },
      },
      sign: this.senders.signer(old),
    });
    const id = await insertSwap(m, {
      orgId,
      rotationId: rotation.id,
      groupRef,
      epoch: signed.epoch.toString(),
      proposal: Buffer.from(signed.message),
      proposalRef: Buffer.from(signed.proposalRef),
    });
    const [row] = await swapViewRows(m, [id]);
    await this.webhooks.enqueueForOwner(m, orgId, row!.ds_client_id, SWAP_PROPOSED_EVENT, { swaps: [swapView(row!)] }, `swap_${id}`);
  }

  /** Completes the rotation: the old sender is retired (signs nothing more); returns its custody key to retire after commit. */
  private async complete(m: EntityManager, orgId: string, rotation: OpenRotationRow, forcedBy: string | null): Promise<string> {
    await completeRotation(m, rotation.id, forcedBy);
    await m.update(MlsExternalSender, { id: rotation.oldSenderId }, { status: 'retired', retiredAt: new Date() });
    const next = await m.findOneByOrFail(MlsExternalSender, { id: rotation.newSenderId });
    await this.logRotation(m, orgId, next, forcedBy ? 'forced' : 'completed');
    return (await m.findOneByOrFail(MlsExternalSender, { id: rotation.oldSenderId })).keyId;
  }

  /** KT event type 14: the new sender key (SHA-256 of its SPKI, as external_sender_key entries carry it) and the step. */
  private async logRotation(m: EntityManager, orgId: string, next: MlsExternalSender, step: 'started' | 'completed' | 'forced'): Promise<void> {
    const handle = await this.keys.get(next.keyId, m);
    await this.outbox.enqueue(
      m,
      ktAppend({
        type: 'external_sender_rotated',
        orgId,
        signatureKeySha256: sha256Hex(handle.publicKey),
        reason: `${step} suite ${next.ciphersuite}`,
        timestamp: new Date().toISOString(),
      }),
    );
  }
}

function lists(context: Pick<GroupContext, 'extensions'>, sender: Pick<MlsExternalSender, 'signatureKey'>): boolean {
  try {
    return (externalSendersOf(context) ?? []).some((s) => sender.signatureKey.equals(Buffer.from(s.signaturePublicKey)));
  } catch {
    return false;
  }
}
