import * as tlog from './index.js';

describe('typed errors', () => {
  it('carry stable codes on instances and classes, and group by base class', () => {
    const cases: [new (message: string) => tlog.TlogError, string, abstract new (...args: never[]) => tlog.TlogError][] = [
      [tlog.NoteMalformed, 'ERR_NOTE_MALFORMED', tlog.MalformedInput],
      [tlog.VerifierKeyMalformed, 'ERR_VERIFIER_KEY_MALFORMED', tlog.MalformedInput],
      [tlog.CheckpointMalformed, 'ERR_CHECKPOINT_MALFORMED', tlog.MalformedInput],
      [tlog.TileMalformed, 'ERR_TILE_MALFORMED', tlog.MalformedInput],
      [tlog.TilePathMalformed, 'ERR_TILE_PATH_MALFORMED', tlog.MalformedInput],
      [tlog.EntryBundleMalformed, 'ERR_ENTRY_BUNDLE_MALFORMED', tlog.MalformedInput],
      [tlog.EntryMalformed, 'ERR_ENTRY_MALFORMED', tlog.MalformedInput],
      [tlog.HashMalformed, 'ERR_HASH_MALFORMED', tlog.MalformedInput],
      [tlog.NoteSignatureInvalid, 'ERR_NOTE_SIGNATURE_INVALID', tlog.SignatureFailure],
      [tlog.NoteUnverified, 'ERR_NOTE_UNVERIFIED', tlog.SignatureFailure],
      [tlog.InclusionProofInvalid, 'ERR_INCLUSION_PROOF_INVALID', tlog.ProofFailure],
      [tlog.ConsistencyProofInvalid, 'ERR_CONSISTENCY_PROOF_INVALID', tlog.ProofFailure],
      [tlog.TreeRangeInvalid, 'ERR_TREE_RANGE_INVALID', tlog.TlogError],
      [tlog.CheckpointOriginMismatch, 'ERR_CHECKPOINT_ORIGIN_MISMATCH', tlog.TlogError],
      [tlog.LogInconsistent, 'ERR_LOG_INCONSISTENT', tlog.TlogError],
      [tlog.LogEntriesMismatch, 'ERR_LOG_ENTRIES_MISMATCH', tlog.LogInconsistent],
    ];
    for (const [Class, code, Base] of cases) {
      const error = new Class('x');
      expect([Class.name, error.code, (Class as unknown as { code: string }).code]).toEqual([Class.name, code, code]);
      expect(error.name).toBe(Class.name);
      expect(error).toBeInstanceOf(Base);
      expect(error).toBeInstanceOf(tlog.TlogError);
      expect(error).toBeInstanceOf(Error);
    }
    expect(new tlog.LogInconsistent('x')).not.toBeInstanceOf(tlog.SignatureFailure);
  });
});
