/**
 * Bounded by default so CI is repeatable and quick: a fixed seed and a fixed number of runs.
 * FUZZ_SEED and FUZZ_RUNS widen a local or nightly run (FUZZ_RUNS=500 FUZZ_SEED=$RANDOM);
 * a failure prints the seed and the input, so it reproduces with the same two values.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261129);

/** Runs per property (per route for the HTTP fuzz, per decoder for the library fuzz). */
export function fuzzRuns(ciDefault: number): number {
  const fromEnv = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : ciDefault;
}

/** Accepted / total, as a percentage with one decimal, for the reports the suites print. */
export function rate(accepted: number, total: number): string {
  return total === 0 ? 'n/a' : `${((100 * accepted) / total).toFixed(1)}%`;
}
