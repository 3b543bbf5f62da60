import { HashMalformed, InclusionProofInvalid, TreeRangeInvalid } from './errors.js';
import { generateInclusionProof, verifyInclusionProof } from './inclusion-proof.js';
import { MemoryHashStore } from './memory-hash-store.testing.js';
import { NaiveMerkle, hexList, makeEntries } from './naive-merkle.testing.js';
import type { HashReader } from './subtree.js';

const MAX = 300;
const entries = makeEntries(MAX);
const naive = new NaiveMerkle(entries);
const store = MemoryHashStore.fromEntries(entries);

function flipped(hash: Uint8Array): Uint8Array {
  const copy = hash.slice();
  copy[7]! ^= 0x40;
  return copy;
}

describe('RFC 9162 §2.1.3 inclusion proofs', () => {
  it('generates the RFC PATH and verifies it, and rejects tampering, for every index of every size 1..300', async () => {
    const accepted: string[] = [];
    const rejects = (label: string, fn: () => void) => {
      try {
        fn();
        accepted.push(label);
      } catch (e) {
        if (!(e instanceof InclusionProofInvalid)) accepted.push(`${label}: ${String(e)}`);
      }
    };
    let checked = 0;
    for (let n = 1; n <= MAX; n++) {
      const root = naive.root(n);
      for (let m = 0; m < n; m++) {
        const leaf = naive.leafHashes[m]!;
        const proof = await generateInclusionProof(m, n, store);
        const expected = naive.inclusionProof(m, n);
        if (hexList(proof).join() !== hexList(expected).join()) {
          throw new Error(`inclusion proof mismatch at index ${m}, size ${n}`);
        }
        verifyInclusionProof(m, n, leaf, proof, root);

        const at = `${m}/${n}`;
        // Every proof gets one tampered element; the other mutations rotate across proofs
        // (each still runs ~9,000 times) to keep the suite fast.
        if (proof.length > 0) {
          const i = m % proof.length;
          rejects(`flipped ${at}`, () =>
            verifyInclusionProof(
              m,
              n,
              leaf,
              proof.map((p, j) => (j === i ? flipped(p) : p)),
              root,
            ),
          );
        }
        switch ((m + n) % 5) {
          case 0:
            if (proof.length > 0) rejects(`truncated ${at}`, () => verifyInclusionProof(m, n, leaf, proof.slice(0, -1), root));
            else rejects(`extended ${at}`, () => verifyInclusionProof(m, n, leaf, [leaf], root));
            break;
          case 1:
            rejects(`extended ${at}`, () => verifyInclusionProof(m, n, leaf, [...proof, leaf], root));
            break;
          case 2:
            rejects(`wrong leaf ${at}`, () => verifyInclusionProof(m, n, flipped(leaf), proof, root));
            rejects(`wrong root ${at}`, () => verifyInclusionProof(m, n, leaf, proof, flipped(root)));
            break;
          case 3:
            if (m + 1 < n) rejects(`wrong index ${at}`, () => verifyInclusionProof(m + 1, n, leaf, proof, root));
            else if (m > 0) rejects(`wrong index ${at}`, () => verifyInclusionProof(m - 1, n, leaf, proof, root));
            break;
          case 4:
            // The algorithm binds the root, not the size: a proof for another size is checked
            // against that size's root, and must fail unless it is that size's proof too.
            for (const other of [n - 1, n + 1]) {
              if (other <= m || other > MAX) continue;
              if (hexList(naive.inclusionProof(m, other)).join() === hexList(proof).join()) continue;
              rejects(`wrong size ${other} ${at}`, () => verifyInclusionProof(m, other, leaf, proof, naive.root(other)));
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
      [0, 300],
      [299, 300],
      [150, 257],
      [255, 256],
      [0, 1],
    ] as const) {
      const before = { calls: store.readCalls, hashes: store.hashesRead };
      await generateInclusionProof(m, n, store);
      expect(store.readCalls - before.calls).toBeLessThanOrEqual(1);
      expect(store.hashesRead - before.hashes).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
    }
  });

  it('handles large power-of-two trees around their edges', async () => {
    const big = MemoryHashStore.fromEntries(makeEntries(4097, 'big'));
    const bigNaive = new NaiveMerkle(makeEntries(4097, 'big'));
    for (const n of [1024, 2048, 4096, 4097]) {
      for (const m of [0, 1, n / 2 - 1, n / 2, n - 2, n - 1].map(Math.floor)) {
        const proof = await generateInclusionProof(m, n, big);
        expect(hexList(proof)).toEqual(hexList(bigNaive.inclusionProof(m, n)));
        verifyInclusionProof(m, n, bigNaive.leafHashes[m]!, proof, bigNaive.root(n));
      }
    }
  });

  it('rejects indexes outside the tree and malformed hashes with typed errors', async () => {
    const root = naive.root(4);
    await expect(generateInclusionProof(4, 4, store)).rejects.toThrow(TreeRangeInvalid);
    await expect(generateInclusionProof(-1, 4, store)).rejects.toThrow(TreeRangeInvalid);
    await expect(generateInclusionProof(0, 0, store)).rejects.toThrow(TreeRangeInvalid);
    await expect(generateInclusionProof(0.5, 4, store)).rejects.toThrow(TreeRangeInvalid);
    expect(() => verifyInclusionProof(4, 4, naive.leafHashes[0]!, [], root)).toThrow(TreeRangeInvalid);
    expect(() => verifyInclusionProof(0, 0, naive.leafHashes[0]!, [], root)).toThrow(TreeRangeInvalid);
    expect(() => verifyInclusionProof(0, 4, naive.leafHashes[0]!, [new Uint8Array(31)], root)).toThrow(HashMalformed);
    expect(() => verifyInclusionProof(0, 4, new Uint8Array(33), [], root)).toThrow(HashMalformed);
  });

  it('rejects a hash reader that answers with the wrong count or wrong-length hashes', async () => {
    const short: HashReader = { readHashes: async (s) => s.slice(1).map(() => new Uint8Array(32)) };
    const bad: HashReader = { readHashes: async (s) => s.map(() => new Uint8Array(16)) };
    await expect(generateInclusionProof(3, 10, short)).rejects.toThrow(HashMalformed);
    await expect(generateInclusionProof(3, 10, bad)).rejects.toThrow(HashMalformed);
  });
});
