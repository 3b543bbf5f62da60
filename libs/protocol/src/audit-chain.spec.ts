import { sha256 } from '@noble/hashes/sha2';
import { AUDIT_CHAIN_GENESIS, AuditChainVerifier, auditEntryBytes, auditEntryHash, type AuditChainEntry } from './audit-chain.js';
import { canonicalJson } from './canonical-json.js';

function chain(n: number): AuditChainEntry[] {
  const out: AuditChainEntry[] = [];
  let prevHash = AUDIT_CHAIN_GENESIS;
  for (let i = 1; i <= n; i++) {
    const fields = {
      v: 1,
      orgId: 'org-1',
      seq: String(i),
      createdAt: new Date(1_700_000_000_000 + i).toISOString(),
      actor: 'admin:alice@example.com',
      actorRoles: ['org-admin'],
      actorVia: 'session',
      action: 'thing.do',
      target: `thing:${i}`,
      sourceIp: '192.0.2.1',
      requestId: `r-${i}`,
      details: { z: 1, a: { y: [1, 'two'], b: null } },
      before: null,
      after: { n: i },
      prevHash,
    };
    const hash = auditEntryHash(fields, sha256);
    out.push({ ...fields, hash });
    prevHash = hash;
  }
  return out;
}

function verdict(entries: AuditChainEntry[], anchors: { seq: string; hash: string }[] = []) {
  const v = new AuditChainVerifier(sha256, anchors);
  for (const e of entries) if (!v.push(e)) break;
  return v.finish();
}

describe('audit chain (version 1)', () => {
  it('encodes canonically: sorted keys at every depth, no whitespace, domain-separated', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"e":2,"f":1}]},"b":1}');
    const [e] = chain(1);
    expect(new TextDecoder().decode(auditEntryBytes(e!))).toMatch(/^mlsid-audit-chain-v1\n\[1,"org-1","1",/);
    // Key order of the details does not change the hash (jsonb reorders keys).
    expect(auditEntryHash({ ...e!, details: { a: { b: null, y: [1, 'two'] }, z: 1 } }, sha256)).toBe(e!.hash);
    expect(() => auditEntryBytes({ ...e!, v: 2 })).toThrow(/version/);
  });

  it('accepts an intact chain and checks its anchors', () => {
    const entries = chain(5);
    expect(verdict(entries, [{ seq: '3', hash: entries[2]!.hash }])).toMatchObject({
      ok: true,
      entries: 5,
      headSeq: '5',
      anchorsChecked: 1,
      lastAnchoredSeq: '3',
    });
  });

  it('names the first broken sequence and why', () => {
    const entries = chain(6);
    expect(verdict(entries.map((e, i) => (i === 2 ? { ...e, actor: 'admin:mallory' } : e)))).toMatchObject({ ok: false, seq: '3', reason: 'edited' });
    expect(verdict(entries.filter((_, i) => i !== 3))).toMatchObject({ ok: false, seq: '4', reason: 'deleted' });
    expect(verdict([entries[0]!, entries[2]!, entries[1]!, ...entries.slice(3)])).toMatchObject({ ok: false, seq: '2', reason: 'reordered' });
    expect(verdict([entries[0]!, entries[1]!, entries[1]!])).toMatchObject({ ok: false, seq: '2', reason: 'reordered' });
    expect(verdict(entries.slice(0, 4), [{ seq: '6', hash: entries[5]!.hash }])).toMatchObject({ ok: false, seq: '5', reason: 'deleted' });
    expect(verdict(entries, [{ seq: '2', hash: entries[3]!.hash }])).toMatchObject({ ok: false, seq: '2', reason: 'anchor_mismatch' });
    expect(verdict(entries.slice(1))).toMatchObject({ ok: false, seq: '1', reason: 'deleted' });
    // An intact entry spliced in after another predecessor.
    const other = chain(6).map((e) => e);
    const spliced = { ...other[2]!, prevHash: 'ff'.repeat(32) };
    spliced.hash = auditEntryHash(spliced, sha256);
    expect(verdict([entries[0]!, entries[1]!, spliced])).toMatchObject({ ok: false, seq: '3', reason: 'reordered' });
  });
});
