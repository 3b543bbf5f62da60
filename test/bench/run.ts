import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench [name-filter]`: runs every test/bench/*.bench.ts (built to dist) one after
 * another. Benchmarks print numbers; they are not part of the test suite's pass/fail.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js') && (!filter || f.includes(filter))).sort();
if (files.length === 0) {
  process.stdout.write(`no benchmarks${filter ? ` matching "${filter}"` : ''}\n`);
}
for (const f of files) {
  process.stdout.write(`\n## ${f.replace(/\.bench\.js$/, '')}\n`);
  const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { default: () => Promise<void> };
  await mod.default();
}
