import { emptyTreeHash, signCheckpoint } from '#tlog';
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
});
