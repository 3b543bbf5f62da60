import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { parseVerifierKey } from './ed25519-note-key.js';
import { makeTestNoteKey } from './ed25519-test-key.testing.js';
import { CheckpointMalformed, CheckpointOriginMismatch, NoteMalformed, NoteUnverified } from './errors.js';
import { NaiveMerkle, makeEntries } from './naive-merkle.testing.js';
import { signNote } from './signed-note.js';

const root = new NaiveMerkle(makeEntries(10)).root(10);
const rootB64 = Buffer.from(root).toString('base64');
const checkpoint: Checkpoint = { origin: 'id.example.com/kt/acme', size: 10, rootHash: root, extensions: [] };

describe('c2sp.org/tlog-checkpoint', () => {
  it('formats the note text byte for byte and parses it back', () => {
    expect(formatCheckpoint(checkpoint)).toBe(`id.example.com/kt/acme\n10\n${rootB64}\n`);
    expect(formatCheckpoint({ ...checkpoint, extensions: ['ext one', 'ext-two'] })).toBe(
      `id.example.com/kt/acme\n10\n${rootB64}\next one\next-two\n`,
    );
    expect(parseCheckpoint(`id.example.com/kt/acme\n10\n${rootB64}\n`)).toEqual(checkpoint);
    expect(parseCheckpoint(`o\n0\n${rootB64}\nx\n`)).toEqual({ origin: 'o', size: 0, rootHash: root, extensions: ['x'] });
    // The example of the spec parses.
    const spec = parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    expect(spec.size).toBe(20852163);
  });

  it('signs and opens checkpoints, byte-exact, with unknown cosignatures ignored', async () => {
    const log = makeTestNoteKey('id.example.com/kt/acme');
    const witness = makeTestNoteKey('witness.example/w1');
    const note = await signCheckpoint(checkpoint, [log.signer, witness.signer]);
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual(['id.example.com/kt/acme', '10', rootB64, '']);
    expect(lines[4]).toMatch(/^— id\.example\.com\/kt\/acme [A-Za-z0-9+/]{91}=$/);
    expect(lines[5]).toMatch(/^— witness\.example\/w1 /);
    expect(lines[6]).toBe('');
    expect(lines).toHaveLength(7);
    const opened = openCheckpoint(note, [parseVerifierKey(log.vkey)], 'id.example.com/kt/acme');
    expect(opened.checkpoint).toEqual(checkpoint);
    expect(opened.note).toBe(note);
    expect(opened.unknown.map((s) => s.name)).toEqual(['witness.example/w1']);
    // Only the log's own key counts: a rotated-away key of the same name does not verify it.
    const formerLogKey = makeTestNoteKey('id.example.com/kt/acme');
    expect(() => openCheckpoint(note, [formerLogKey.verifier], 'id.example.com/kt/acme')).toThrow(NoteUnverified);
    expect(() => openCheckpoint(note, [log.verifier], 'id.example.com/kt/other')).toThrow(CheckpointOriginMismatch);
  });

  it('keeps the received note exactly, even from bytes starting with a BOM', async () => {
    const log = makeTestNoteKey('log.example/bom');
    const note = await signCheckpoint({ ...checkpoint, origin: '\ufeffbom-origin' }, [log.signer]);
    const opened = openCheckpoint(new TextEncoder().encode(note), [log.verifier]);
    expect(opened.note).toBe(note);
    expect(opened.checkpoint.origin).toBe('\ufeffbom-origin');
    expect(openCheckpoint(opened.note, [log.verifier]).checkpoint.origin).toBe('\ufeffbom-origin');
  });

  it('rejects malformed checkpoint texts', () => {
    const bad: Record<string, string> = {
      'empty origin': `\n10\n${rootB64}\n`,
      'missing trailing newline': `o\n10\n${rootB64}`,
      'two lines': `o\n10\n`,
      'leading zero': `o\n010\n${rootB64}\n`,
      'plus sign': `o\n+10\n${rootB64}\n`,
      'negative size': `o\n-1\n${rootB64}\n`,
      'size with space': `o\n 10\n${rootB64}\n`,
      'hex size': `o\n0x10\n${rootB64}\n`,
      'size beyond 2^53': `o\n9007199254740993\n${rootB64}\n`,
      'short root': `o\n10\n${Buffer.from(root.subarray(1)).toString('base64')}\n`,
      'unpadded root': `o\n10\n${rootB64.replace(/=$/, '')}\n`,
      'bad base64 root': `o\n10\n${rootB64.replace(/^./, '*')}\n`,
      'empty extension line': `o\n10\n${rootB64}\n\n`,
      CR: `o\r\n10\n${rootB64}\n`,
    };
    for (const [label, text] of Object.entries(bad)) {
      let error: unknown;
      try {
        parseCheckpoint(text);
      } catch (e) {
        error = e;
      }
      expect([label, error instanceof CheckpointMalformed]).toEqual([label, true]);
    }
    expect(() => formatCheckpoint({ ...checkpoint, origin: '' })).toThrow(CheckpointMalformed);
    expect(() => formatCheckpoint({ ...checkpoint, size: -1 })).toThrow(CheckpointMalformed);
    expect(() => formatCheckpoint({ ...checkpoint, extensions: [''] })).toThrow(CheckpointMalformed);
    expect(() => formatCheckpoint({ ...checkpoint, origin: 'a\nb' })).toThrow(CheckpointMalformed);
  });

  it('rejects signed notes that are malformed before looking at the checkpoint', async () => {
    const log = makeTestNoteKey('id.example.com/kt/acme');
    const note = await signCheckpoint(checkpoint, [log.signer]);
    expect(() => openCheckpoint(note.slice(0, -1), [log.verifier])).toThrow(NoteMalformed);
    expect(() => openCheckpoint(note.replace('\n', '\r\n'), [log.verifier])).toThrow(NoteMalformed);
    // A signed note whose text is not a checkpoint.
    const notCheckpoint = await signNote('hello\n', [log.signer]);
    expect(() => openCheckpoint(notCheckpoint, [log.verifier])).toThrow(CheckpointMalformed);
  });
});
