import { emptyTreeHash, signCheckpoint, signKeyRotation, signNote } from '#tlog';
import { makeTestNoteKey } from '../../tlog/src/ed25519-test-key.testing.js';
import { fakeFetch } from '../test-support/fake-fetch.js';
import { generateDeviceKeys } from './device-keys.js';
import { LogVerificationFailed } from './errors.js';
import { ServiceTransport } from './service-transport.js';
import { MemoryStorage } from './storage.js';
import { TransparencyLog } from './transparency-log.js';

// The SDK has no log verifier of its own: key parsing and note signatures are libs/tlog's,
// as for the mlsid CLI. These check that the SDK wires them in and maps their errors.
describe('TransparencyLog with the tlog verifier', () => {
  const key = makeTestNoteKey('id.example.com/kt/acme');

  async function logServing(note: string, verifierKey: string) {
    const { fetch } = fakeFetch((req) => (req.path === '/kt/acme/checkpoint' ? { status: 200, text: note } : { status: 404 }));
    const transport = new ServiceTransport({ baseUrl: 'https://id.example.com', fetch });
    const device = { keys: await generateDeviceKeys(1), chainDer: [Uint8Array.of(0x30, 0)] };
    return new TransparencyLog(transport, 'acme', () => device, new MemoryStorage(), { verifierKey });
  }

  it('accepts a checkpoint signed by the pinned key; a tampered signature is refused', async () => {
    const note = await signCheckpoint({ origin: key.name, size: 0, rootHash: emptyTreeHash(), extensions: [] }, [key.signer]);
    expect((await (await logServing(note, key.vkey)).refresh()).checkpoint.size).toBe(0);
    const b64 = note.split('\n').at(-2)!.split(' ').at(-1)!;
    const bytes = Buffer.from(b64, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    const tampered = note.replace(b64, bytes.toString('base64'));
    await expect((await logServing(tampered, key.vkey)).refresh()).rejects.toBeInstanceOf(LogVerificationFailed);
  });

  it('refuses a verifier key whose key ID does not match, and nonsense', async () => {
    const note = await signCheckpoint({ origin: key.name, size: 0, rootHash: emptyTreeHash(), extensions: [] }, [key.signer]);
    const wrongId = key.vkey.replace(/\+([0-9a-f]{8})\+/, (_, id) => `+${(parseInt(id, 16) ^ 1).toString(16).padStart(8, '0')}+`);
    await expect((await logServing(note, wrongId)).refresh()).rejects.toBeInstanceOf(LogVerificationFailed);
    await expect((await logServing(note, 'nonsense')).refresh()).rejects.toBeInstanceOf(LogVerificationFailed);
  });

  describe('across a log key rotation', () => {
    const next = makeTestNoteKey('id.example.com/kt/acme');
    const intruder = makeTestNoteKey('id.example.com/kt/acme');

    async function rotatedLog(statements: string[], storage = new MemoryStorage()) {
      const signedBy = async (signers: (typeof key.signer)[], size: number) =>
        signCheckpoint({ origin: key.name, size, rootHash: emptyTreeHash(), extensions: [] }, signers);
      let note = await signedBy([key.signer], 0);
      const { fetch } = fakeFetch((req) => {
        if (req.path === '/kt/acme/checkpoint') return { status: 200, text: note };
        if (req.path === '/kt/acme/key/rotations') return { status: 200, body: { rotations: statements.map((statement) => ({ statement })) } };
        return { status: 404 };
      });
      const transport = new ServiceTransport({ baseUrl: 'https://id.example.com', fetch });
      const device = { keys: await generateDeviceKeys(1), chainDer: [Uint8Array.of(0x30, 0)] };
      const log = new TransparencyLog(transport, 'acme', () => device, storage, { verifierKey: key.vkey });
      return { log, serve: (n: string) => (note = n), signedBy };
    }

    it('follows a rotation statement signed by the pinned key and its successor', async () => {
      const statement = await signKeyRotation({ origin: key.name, oldKey: key.vkey, newKey: next.vkey }, key.signer, next.signer);
      const storage = new MemoryStorage();
      const { log, serve } = await rotatedLog([statement], storage);
      expect((await log.refresh()).checkpoint.size).toBe(0);
      // after the overlap the new key alone signs (same tree: no consistency proof needed)
      serve(await signCheckpoint({ origin: key.name, size: 0, rootHash: emptyTreeHash(), extensions: [] }, [next.signer]));
      expect((await log.refresh()).checkpoint.size).toBe(0);
      // the pin now holds both keys, in storage too (a restarted app keeps following)
      const again = new TransparencyLog(
        new ServiceTransport({ baseUrl: 'https://id.example.com', fetch: fakeFetch(() => ({ status: 404 })).fetch }),
        'acme',
        () => ({ keys: undefined as never, chainDer: [] }),
        storage,
        { verifierKey: key.vkey },
      );
      expect((await again.lastAccepted())!.checkpoint.size).toBe(0);
    });

    it('does not follow a statement the pinned key did not sign', async () => {
      const forged = await signNote(`mls-identity log key rotation v1\n${key.name}\n${key.vkey}\n${intruder.vkey}\n`, [intruder.signer]);
      const { log, serve } = await rotatedLog([forged]);
      serve(await signCheckpoint({ origin: key.name, size: 0, rootHash: emptyTreeHash(), extensions: [] }, [intruder.signer]));
      await expect(log.refresh()).rejects.toBeInstanceOf(LogVerificationFailed);
    });
  });
});
