import { generateConsistencyProof, verifyConsistencyProof } from './consistency-proof.js';
import { ConsistencyProofInvalid, HashMalformed, TreeRangeInvalid } from './errors.js';
import { MemoryHashStore } from './memory-hash-store.testing.js';
import { emptyTreeHash } from './merkle-hash.js';
import { NaiveMerkle, hexList, makeEntries } from './naive-merkle.testing.js';

const MAX = 300;
const entries = makeEntries(MAX);
const naive = new NaiveMerkle(entries);
const store = MemoryHashStore.fromEntries(entries);

function flipped(hash: Uint8Array): Uint8Array {
  const copy = hash.slice();
  copy[0]! ^= 0x01;
  return copy;
}

describe('RFC 9162 §2.1.4 consistency proofs', () => {
  it('generates the RFC PROOF and verifies it, and rejects tampering, for every pair of sizes 1 ≤ m ≤ n ≤ 300', async () => {
    const accepted: string[] = [];
    const rejects = (label: string, fn: () => void) => {
      try {
        fn();
        accepted.push(label);
      } catch (e) {
        if (!(e instanceof ConsistencyProofInvalid)) accepted.push(`${label}: ${String(e)}`);
      }
    };
    let checked = 0;
    for (let n = 1; n <= MAX; n++) {
      const second = naive.root(n);
      for (let m = 1; m <= n; m++) {
        const first = naive.root(m);
        const proof = await generateConsistencyProof(m, n, store);
        const expected = naive.consistencyProof(m, n);
        if (hexList(proof).join() !== hexList(expected).join()) {
          throw new Error(`consistency proof mismatch for ${m} → ${n}`);
        }
        verifyConsistencyProof(m, n, first, second, proof);

        const at = `${m}→${n}`;
        // Every proof gets one tampered element; the other mutations rotate across pairs.
        if (proof.length > 0) {
          const i = (m + n) % proof.length;
          rejects(`flipped ${at}`, () =>
            verifyConsistencyProof(
              m,
              n,
              first,
              second,
              proof.map((p, j) => (j === i ? flipped(p) : p)),
            ),
          );
        }
        switch ((m * 7 + n) % 5) {
          case 0:
            if (proof.length > 0) rejects(`truncated ${at}`, () => verifyConsistencyProof(m, n, first, second, proof.slice(0, -1)));
            rejects(`extended ${at}`, () => verifyConsistencyProof(m, n, first, second, [...proof, first]));
            break;
          case 1:
            rejects(`wrong first root ${at}`, () => verifyConsistencyProof(m, n, flipped(first), second, proof));
            rejects(`wrong second root ${at}`, () => verifyConsistencyProof(m, n, first, flipped(second), proof));
            break;
          case 2:
            if (m < n) rejects(`larger first ${at}`, () => verifyConsistencyProof(m + 1, n, first, second, proof));
            if (m > 1) rejects(`smaller first ${at}`, () => verifyConsistencyProof(m - 1, n, first, second, proof));
            break;
          case 3:
            if (m < n) rejects(`swapped roots ${at}`, () => verifyConsistencyProof(m, n, second, first, proof));
            break;
          case 4:
            // The algorithm binds the second root, not the second size (see inclusion tests).
            for (const other of [n - 1, n + 1]) {
              if (other < m || other > MAX) continue;
              if (hexList(naive.consistencyProof(m, other)).join() === hexList(proof).join()) continue;
              rejects(`wrong size ${other} ${at}`, () => verifyConsistencyProof(m, other, first, naive.root(other), proof));
            }
            break;
        }
        checked++;
      }
    }
    expect(accepted).toEqual([]);
    expect(checked).toBe((MAX * (MAX + 1)) / 2);
  });

  it('reads O(log n) stored hashes in a single call', async () => {
    for (const [m, n] of [
      [1, 300],
      [299, 300],
      [128, 256],
      [100, 257],
      [7, 8],
    ] as const) {
      const before = { calls: store.readCalls, hashes: store.hashesRead };
      await generateConsistencyProof(m, n, store);
      expect(store.readCalls - before.calls).toBeLessThanOrEqual(1);
      expect(store.hashesRead - before.hashes).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
    }
  });

  it('treats the empty tree and equal sizes as the RFC leaves them: empty proofs only', async () => {
    expect(await generateConsistencyProof(0, 10, store)).toEqual([]);
    expect(await generateConsistencyProof(10, 10, store)).toEqual([]);
    verifyConsistencyProof(0, 10, emptyTreeHash(), naive.root(10), []);
    verifyConsistencyProof(10, 10, naive.root(10), naive.root(10), []);
    expect(() => verifyConsistencyProof(0, 10, emptyTreeHash(), naive.root(10), [naive.root(10)])).toThrow(ConsistencyProofInvalid);
    expect(() => verifyConsistencyProof(0, 10, naive.root(1), naive.root(10), [])).toThrow(ConsistencyProofInvalid);
    expect(() => verifyConsistencyProof(10, 10, naive.root(10), naive.root(11), [])).toThrow(ConsistencyProofInvalid);
    expect(() => verifyConsistencyProof(10, 10, naive.root(10), naive.root(10), [naive.root(10)])).toThrow(ConsistencyProofInvalid);
    expect(() => verifyConsistencyProof(4, 10, naive.root(4), naive.root(10), [])).toThrow(ConsistencyProofInvalid);
  });

  it('handles large power-of-two sizes', async () => {
    const bigEntries = makeEntries(4097, 'big');
    const big = MemoryHashStore.fromEntries(bigEntries);
    const bigNaive = new NaiveMerkle(bigEntries);
    for (const [m, n] of [
      [1024, 2048],
      [2048, 4096],
      [1023, 4096],
      [1025, 4096],
      [4096, 4097],
      [1, 4096],
      [2047, 2048],
    ] as const) {
      const proof = await generateConsistencyProof(m, n, big);
      expect(hexList(proof)).toEqual(hexList(bigNaive.consistencyProof(m, n)));
      verifyConsistencyProof(m, n, bigNaive.root(m), bigNaive.root(n), proof);
    }
  });

  it('rejects impossible sizes and malformed hashes with typed errors', async () => {
    await expect(generateConsistencyProof(5, 4, store)).rejects.toThrow(TreeRangeInvalid);
    await expect(generateConsistencyProof(-1, 4, store)).rejects.toThrow(TreeRangeInvalid);
    expect(() => verifyConsistencyProof(5, 4, naive.root(5), naive.root(4), [])).toThrow(TreeRangeInvalid);
    expect(() => verifyConsistencyProof(Number.NaN, 4, naive.root(1), naive.root(4), [])).toThrow(TreeRangeInvalid);
    expect(() => verifyConsistencyProof(3, 4, naive.root(3), naive.root(4), [new Uint8Array(5)])).toThrow(HashMalformed);
  });
});
