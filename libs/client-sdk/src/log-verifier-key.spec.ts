import { acceptCheckpoint, NoteSignatureInvalid, signCheckpoint, emptyTreeHash } from '#tlog';
import { makeTestNoteKey } from '../../tlog/src/ed25519-test-key.testing.js';
import { LogVerificationFailed } from './errors.js';
import { noteVerifierFor, parseLogVerifierKey } from './log-verifier-key.js';

describe('log verifier key with WebCrypto', () => {
  const key = makeTestNoteKey('id.example.com/kt/acme');

  it('parses the key tlog formats and checks its key ID', async () => {
    const parsed = await parseLogVerifierKey(key.vkey);
    expect(parsed).toMatchObject({ name: key.name, keyId: key.verifier.keyId });
    const wrongId = key.vkey.replace(/\+([0-9a-f]{8})\+/, (_, id) => `+${(parseInt(id, 16) ^ 1).toString(16).padStart(8, '0')}+`);
    await expect(parseLogVerifierKey(wrongId)).rejects.toBeInstanceOf(LogVerificationFailed);
    await expect(parseLogVerifierKey('nonsense')).rejects.toBeInstanceOf(LogVerificationFailed);
  });

  it('a checkpoint signed by the key is accepted; a tampered signature is not', async () => {
    const parsed = await parseLogVerifierKey(key.vkey);
    const note = await signCheckpoint({ origin: key.name, size: 0, rootHash: emptyTreeHash(), extensions: [] }, [key.signer]);
    const config = { origin: key.name, verifiers: [await noteVerifierFor(parsed, note)] };
    expect(acceptCheckpoint(config, null, note, []).checkpoint.size).toBe(0);
    const lines = note.split('\n');
    const sigLine = lines.at(-2)!;
    const b64 = sigLine.split(' ').at(-1)!;
    const bytes = Buffer.from(b64, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    const tampered = note.replace(b64, bytes.toString('base64'));
    const tamperedConfig = { origin: key.name, verifiers: [await noteVerifierFor(parsed, tampered)] };
    expect(() => acceptCheckpoint(tamperedConfig, null, tampered, [])).toThrow(NoteSignatureInvalid);
    // the verifier made for one note does not vouch for another
    expect(() => acceptCheckpoint(config, null, tampered, [])).toThrow(NoteSignatureInvalid);
  });
});
