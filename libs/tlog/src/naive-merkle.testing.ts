import { createHash } from 'node:crypto';

/**
 * Test reference: RFC 9162 §2.1 definitions (MTH, PATH, PROOF/SUBPROOF) transcribed as
 * plain recursion over a fixed list of entries, sharing no code with the library.
 * MTH results are memoised by range so that checking every proof of every size stays fast.
 */
export class NaiveMerkle {
  readonly leafHashes: Uint8Array[];
  readonly #memo = new Map<number, Uint8Array>();

  constructor(readonly entries: readonly Uint8Array[]) {
    this.leafHashes = entries.map((e) => sha256(Uint8Array.of(0), e));
  }

  /** MTH(D[a:b]). */
  mth(a: number, b: number): Uint8Array {
    if (a === b) return sha256();
    if (b - a === 1) return this.leafHashes[a]!;
    const key = a * 1_000_003 + b;
    const hit = this.#memo.get(key);
    if (hit) return hit;
    const k = splitPoint(b - a);
    const h = sha256(Uint8Array.of(1), this.mth(a, a + k), this.mth(a + k, b));
    this.#memo.set(key, h);
    return h;
  }

  root(n: number): Uint8Array {
    return this.mth(0, n);
  }

  /** PATH(m, D[a:b]) with m relative to a. */
  path(m: number, a: number, b: number): Uint8Array[] {
    const n = b - a;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, a, a + k), this.mth(a + k, b)];
    return [...this.path(m - k, a + k, b), this.mth(a, a + k)];
  }

  inclusionProof(m: number, n: number): Uint8Array[] {
    return this.path(m, 0, n);
  }

  /** SUBPROOF(m, D[a:b], flag) with m relative to a. */
  subproof(m: number, a: number, b: number, flag: boolean): Uint8Array[] {
    const n = b - a;
    if (m === n) return flag ? [] : [this.mth(a, b)];
    const k = splitPoint(n);
    if (m <= k) return [...this.subproof(m, a, a + k, flag), this.mth(a + k, b)];
    return [...this.subproof(m - k, a + k, b, false), this.mth(a, a + k)];
  }

  consistencyProof(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }
}

function splitPoint(n: number): number {
  let k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Deterministic distinct entries: "entry-<i>". */
export function makeEntries(count: number, prefix = 'entry'): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new TextEncoder().encode(`${prefix}-${i}`));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function hexList(list: readonly Uint8Array[]): string[] {
  return list.map(hex);
}
