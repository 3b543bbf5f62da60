import { createHash } from 'node:crypto';
import { ed25519KeyId, ed25519NoteSigner, formatEd25519VerifierKey, parseVerifierKey } from './ed25519-note-key.js';
import { makeTestNoteKey } from './ed25519-test-key.testing.js';
import { NoteMalformed, NoteSignatureInvalid, NoteUnverified, VerifierKeyMalformed } from './errors.js';
import { MAX_NOTE_SIGNATURES, openSignedNote, parseSignedNote, signNote } from './signed-note.js';

// The example of c2sp.org/signed-note "Verifier keys".
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

describe('c2sp.org/signed-note', () => {
  it('verifies the example note of the spec with its verifier key', () => {
    const verifier = parseVerifierKey(SPEC_VKEY);
    expect(verifier.name).toBe('example.com/foo');
    expect(verifier.keyId).toBe(0x530d903a);
    const opened = openSignedNote(SPEC_NOTE, [verifier]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verified).toHaveLength(1);
    expect(opened.unknown).toEqual([]);
    // Same with bytes input, and a one-character change breaks it.
    expect(openSignedNote(new TextEncoder().encode(SPEC_NOTE), [verifier]).text).toBe('This is an example message.\n');
    expect(() => openSignedNote(SPEC_NOTE.replace('example message', 'example massage'), [verifier])).toThrow(NoteSignatureInvalid);
  });

  it('computes key IDs as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4] and formats verifier keys', () => {
    const key = makeTestNoteKey('id.example.com/kt/acme');
    const digest = createHash('sha256').update('id.example.com/kt/acme\n').update(Uint8Array.of(1)).update(key.publicKey).digest();
    expect(ed25519KeyId(key.name, key.publicKey)).toBe(digest.readUInt32BE(0));
    expect(key.vkey).toBe(
      `id.example.com/kt/acme+${digest.subarray(0, 4).toString('hex')}+${Buffer.concat([Buffer.of(1), key.publicKey]).toString('base64')}`,
    );
    const parsed = parseVerifierKey(key.vkey);
    expect(parsed.keyId).toBe(key.signer.keyId);
    expect(formatEd25519VerifierKey(parsed.name, key.publicKey)).toBe(key.vkey);
  });

  it('rejects malformed verifier keys', () => {
    const [name, id, material] = SPEC_VKEY.split('+') as [string, string, string];
    for (const bad of [
      `${name}+${id.toUpperCase()}+${material}`,
      `${name}+530d903b+${material}`,
      `${name}+530d903+${material}`,
      `+${id}+${material}`,
      `exa mple.com/foo+${id}+${material}`,
      `${name}+${id}+${material.slice(0, -1)}`,
      `${name}+${id}+${Buffer.concat([Buffer.of(2), Buffer.from(material, 'base64').subarray(1)]).toString('base64')}`,
      `${name}+${id}+${Buffer.from(material, 'base64').subarray(0, 32).toString('base64')}`,
      `${name}+${id}`,
      '',
    ]) {
      expect(() => parseVerifierKey(bad)).toThrow(VerifierKeyMalformed);
    }
  });

  it('signs with a signer callback and round-trips', async () => {
    const key = makeTestNoteKey('log.example/a');
    const note = await signNote('hello\nworld\n', [key.signer]);
    expect(note.startsWith('hello\nworld\n\n— log.example/a ')).toBe(true);
    expect(note.endsWith('\n')).toBe(true);
    const opened = openSignedNote(note, [key.verifier]);
    expect(opened.text).toBe('hello\nworld\n');
    const parsed = parseSignedNote(note);
    expect(parsed.signatures[0]!.keyId).toBe(key.signer.keyId);
    expect(parsed.signatures[0]!.signature).toHaveLength(64);
  });

  it('ignores signatures by unknown keys and still verifies', async () => {
    const log = makeTestNoteKey('log.example/a');
    const witness = makeTestNoteKey('witness.example/w');
    const note = await signNote('text\n', [log.signer, witness.signer]);
    const opened = openSignedNote(note, [log.verifier]);
    expect(opened.verified.map((s) => s.name)).toEqual(['log.example/a']);
    expect(opened.unknown.map((s) => s.name)).toEqual(['witness.example/w']);
    // A key with the same name but another ID is unknown too, even with a bad signature.
    const impostor = makeTestNoteKey('log.example/a');
    const withImpostor = `${note}${(await signNote('other\n', [impostor.signer])).split('\n\n')[1]}`;
    expect(openSignedNote(withImpostor, [log.verifier]).unknown).toHaveLength(2);
  });

  it('fails when only unknown keys signed, or a known key signature is bad', async () => {
    const log = makeTestNoteKey('log.example/a');
    const other = makeTestNoteKey('other.example/b');
    const note = await signNote('text\n', [other.signer]);
    expect(() => openSignedNote(note, [log.verifier])).toThrow(NoteUnverified);
    expect(() => openSignedNote(note, [])).toThrow(NoteUnverified);
    const forged = await signNote('text\n', [{ ...log.signer, sign: other.rawSign }]);
    expect(() => openSignedNote(forged, [log.verifier])).toThrow(NoteSignatureInvalid);
  });

  it('refuses a key store signature that does not verify with the public key', async () => {
    const log = makeTestNoteKey('log.example/a');
    const other = makeTestNoteKey('log.example/a');
    const signer = ed25519NoteSigner(log.name, log.publicKey, other.rawSign);
    await expect(signNote('text\n', [signer])).rejects.toThrow(NoteSignatureInvalid);
  });

  it('rejects malformed notes', async () => {
    const key = makeTestNoteKey('log.example/a');
    const good = await signNote('origin\n1\n', [key.signer]);
    const sigLine = good.split('\n\n')[1]!;
    const sig = sigLine.slice('— log.example/a '.length, -1);
    const cases: Record<string, string | Uint8Array> = {
      'no trailing newline': good.slice(0, -1),
      'no blank line': good.replace('\n\n', '\n'),
      'no signatures': 'origin\n1\n\n',
      'trailing blank line': `${good}\n`,
      'CR line endings': good.replaceAll('\n', '\r\n'),
      'CR in text': good.replace('origin', 'ori\rgin'),
      'tab in text': good.replace('origin', 'ori\tgin'),
      'NUL in text': good.replace('origin', 'ori\u0000gin'),
      'hyphen instead of em dash': good.replace('—', '-'),
      'en dash instead of em dash': good.replace('—', '\u2013'),
      'no space after dash': good.replace('— ', '—'),
      'two spaces before signature': good.replace(`log.example/a ${sig}`, `log.example/a  ${sig}`),
      'missing signature field': good.replace(` ${sig}`, ''),
      'plus in key name': good.replace('log.example/a', 'log.example+a'),
      'non-breaking space in key name': good.replace('log.example/a', 'log.example\u00a0a'),
      'empty key name': good.replace('log.example/a', ''),
      'bad base64': good.replace(sig, `${sig.slice(0, -4)}@@@=`),
      'unpadded base64': good.replace(sig, sig.replace(/=+$/, '')),
      'non-canonical base64 padding bits': good.replace(sig, `${sig.slice(0, -2)}B=`),
      'signature too short': good.replace(sig, Buffer.from([1, 2, 3, 4]).toString('base64')),
      'duplicate signature': `${good}${sigLine}`,
      'invalid UTF-8': Uint8Array.of(...new TextEncoder().encode('ori'), 0xff, ...new TextEncoder().encode(good.slice(3))),
      'lone surrogate': good.replace('origin', 'ori\ud800gin'),
      'too many signatures': `origin\n\n${Array.from({ length: MAX_NOTE_SIGNATURES + 1 }, (_, i) => `— k${i} AAAAAAE=\n`).join('')}`,
      'too large': `${'a'.repeat(1024 * 1024)}\n\n${sigLine}`,
    };
    for (const [label, note] of Object.entries(cases)) {
      let error: unknown;
      try {
        parseSignedNote(note);
      } catch (e) {
        error = e;
      }
      expect([label, error instanceof NoteMalformed]).toEqual([label, true]);
    }
    await expect(signNote('no newline', [key.signer])).rejects.toThrow(NoteMalformed);
    await expect(signNote('a\r\n', [key.signer])).rejects.toThrow(NoteMalformed);
    await expect(signNote('a\n', [])).rejects.toThrow(NoteMalformed);
    await expect(signNote('a\n', [key.signer, key.signer])).rejects.toThrow(NoteMalformed);
  });

  it('separates text and signatures at the last blank line', async () => {
    const key = makeTestNoteKey('log.example/a');
    const note = await signNote('para one\n\npara two\n\n', [key.signer]);
    expect(openSignedNote(note, [key.verifier]).text).toBe('para one\n\npara two\n\n');
  });
});
