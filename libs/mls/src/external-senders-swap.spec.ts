import { acceptAll, createCommit, emptyPskIndex, processMessage, type ExternalSender } from 'ts-mls';
import { aliceAndBob, makeServiceSender, type ServiceSender } from '../test-support/group-fixture.js';
import { externalSendersExtension, externalSendersOf } from './external-senders.js';
import { admitExternalSendersSwap, signExternalSendersSwap, withNamedExternalSenders } from './external-senders-swap.js';

const asSender = (s: ServiceSender): ExternalSender => ({ signaturePublicKey: s.signaturePublicKey, credential: s.credential });
const keysOf = (senders: ExternalSender[] | undefined) => (senders ?? []).map((s) => Buffer.from(s.signaturePublicKey).toString('hex'));

describe('external_senders swap (RFC 9420 §12.1.7 GroupContextExtensions by an external sender)', () => {
  let other: ServiceSender, service: ServiceSender, next: ServiceSender, intruder: ServiceSender;
  beforeAll(async () => {
    [other, service, next, intruder] = await Promise.all([makeServiceSender('other'), makeServiceSender(), makeServiceSender(), makeServiceSender()]);
  });

  it('replaces only the signer entry, in place; members admit it, commit it and process the commit', async () => {
    const g = await aliceAndBob('room-swap', [asSender(other), asSender(service)]);
    const swap = await signExternalSendersSwap({
      groupContext: g.alice.groupContext,
      oldSignaturePublicKey: service.signaturePublicKey,
      newSender: asSender(next),
      sign: service.sign,
    });
    expect(swap.senderIndex).toBe(1);
    const a = await admitExternalSendersSwap(g.alice, swap.message);
    const b = await admitExternalSendersSwap(g.bob, swap.message);
    if (!a.admitted || !b.admitted) throw new Error('a member refused the swap');
    expect(Buffer.from(a.proposalRef)).toEqual(Buffer.from(swap.proposalRef));
    const commit = await createCommit({ state: a.state, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    const alice = withNamedExternalSenders(commit.newState);
    const bob = withNamedExternalSenders((await processMessage(commit.commit as never, b.state, emptyPskIndex, acceptAll, g.cs)).newState);
    for (const s of [alice, bob]) {
      expect(keysOf(externalSendersOf(s.groupContext))).toEqual(keysOf([asSender(other), asSender(next)]));
      // required_capabilities stays first, untouched
      expect(s.groupContext.extensions[0]).toEqual(g.alice.groupContext.extensions[0]);
      expect(s.groupContext.extensions[1]!.extensionType).toBe('external_senders');
    }
  });

  it('refuses a swap not signed by the listed key, for another epoch, or changing another entry', async () => {
    const g = await aliceAndBob('room-forged', [asSender(other), asSender(service)]);
    const forged = await signExternalSendersSwap({
      groupContext: g.alice.groupContext,
      oldSignaturePublicKey: service.signaturePublicKey,
      newSender: asSender(intruder),
      sign: intruder.sign,
    });
    expect(await admitExternalSendersSwap(g.alice, forged.message)).toEqual({ admitted: false, reason: 'signature invalid' });
    const stale = await signExternalSendersSwap({
      groupContext: { ...g.alice.groupContext, epoch: g.alice.groupContext.epoch + 1n },
      oldSignaturePublicKey: service.signaturePublicKey,
      newSender: asSender(next),
      sign: service.sign,
    });
    expect(await admitExternalSendersSwap(g.alice, stale.message)).toEqual({ admitted: false, reason: 'for another group or epoch' });
    // `other` (listed, signing validly) replaces its own entry AND slips the intruder into the service's
    const sly = await signExternalSendersSwap({
      groupContext: {
        ...g.alice.groupContext,
        extensions: [g.alice.groupContext.extensions[0]!, externalSendersExtension([asSender(other), asSender(intruder)])],
      },
      oldSignaturePublicKey: other.signaturePublicKey,
      newSender: asSender(next),
      sign: other.sign,
    });
    expect(await admitExternalSendersSwap(g.alice, sly.message)).toMatchObject({ admitted: false, reason: expect.stringContaining('changes more') });
  });
});
