import { makeTestNoteKey } from './ed25519-test-key.testing.js';
import { followKeyRotations, parseVerifierKeys, signKeyRotation } from './key-rotation.js';
import { NoteSignatureInvalid, VerifierKeyMalformed } from './errors.js';
import { signNote } from './signed-note.js';

const ORIGIN = 'id.example.com/kt/acme';

const key = () => makeTestNoteKey(ORIGIN);

describe('log key rotation statements', () => {
  const [a, b, c, evil] = [key(), key(), key(), key()];

  it('a pin follows a chain of statements, each signed by the replaced key and its successor', async () => {
    const ab = await signKeyRotation({ origin: ORIGIN, oldKey: a.vkey, newKey: b.vkey }, a.signer, b.signer);
    const bc = await signKeyRotation({ origin: ORIGIN, oldKey: b.vkey, newKey: c.vkey }, b.signer, c.signer);
    expect(followKeyRotations([a.vkey], [ab, bc])).toEqual([a.vkey, b.vkey, c.vkey]);
    // out of order, the second statement names a key not trusted yet: skipped
    expect(followKeyRotations([a.vkey], [bc, ab])).toEqual([a.vkey, b.vkey]);
  });

  it('ignores a statement the pinned key did not sign, and refuses a forged signature of it', async () => {
    // the attacker names the pinned key as "old" but can sign only with its own key
    const forged = await signNote(`mls-identity log key rotation v1\n${ORIGIN}\n${a.vkey}\n${evil.vkey}\n`, [evil.signer]);
    expect(followKeyRotations([a.vkey], [forged])).toEqual([a.vkey]);
    const good = await signKeyRotation({ origin: ORIGIN, oldKey: a.vkey, newKey: evil.vkey }, a.signer, evil.signer);
    const lines = good.split('\n');
    const tampered = [...lines.slice(0, -3), lines.at(-3)!.replace(/.{4}$/, 'AAAA'), ...lines.slice(-2)].join('\n');
    expect(() => followKeyRotations([a.vkey], [tampered])).toThrow(NoteSignatureInvalid);
  });

  it('a statement not countersigned by the new key moves nothing', async () => {
    const oldOnly = await signNote(`mls-identity log key rotation v1\n${ORIGIN}\n${a.vkey}\n${b.vkey}\n`, [a.signer]);
    expect(followKeyRotations([a.vkey], [oldOnly])).toEqual([a.vkey]);
  });

  it('parses a key endpoint body of one or two keys', () => {
    expect(parseVerifierKeys(`${a.vkey}\n${b.vkey}\n`)).toEqual([a.vkey, b.vkey]);
    expect(parseVerifierKeys(`${a.vkey}\n`)).toEqual([a.vkey]);
    expect(() => parseVerifierKeys('\n')).toThrow(VerifierKeyMalformed);
    expect(() => parseVerifierKeys(`${a.vkey}\nnonsense\n`)).toThrow(VerifierKeyMalformed);
  });
});
