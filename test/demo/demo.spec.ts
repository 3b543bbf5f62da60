import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The demo exactly as `npm run demo` runs it, minus the build: `npm test` has just built
 * dist/, and rebuilding it here would rewrite files other test files are executing.
 * The demo never uses DATABASE_URL (embedded database).
 */
function runDemo(): Promise<{ code: number | null; out: string; ms: number }> {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist/apps/mlsid/src/demo/main.js')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, ms: Date.now() - started }));
  });
}

describe('npm run demo', () => {
  it('tells the whole story on the embedded database, one line per step, and exits 0', async () => {
    const { code, out, ms } = await runDemo();
    if (code !== 0) throw new Error(`the demo exited ${code}:\n${out}`);
    const steps = out.split('\n').filter((l) => /^\s*\d+\. /.test(l));
    expect(steps.every((l) => / ✔ .*\(\d+\.\d\d s\)$/.test(l))).toBe(true);
    const expected = [
      /service up in DEV mode on a fresh embedded PostgreSQL/,
      /SCIM provisioned alice, bob, carol/,
      /enrolled alice-laptop, bob-laptop, bob-phone, carol-laptop through OIDC/,
      /external sender/,
      /alice created "demo-room" with the service as external sender/,
      /reported the GroupInfo .*epoch 1, 4 members, external sender listed/,
      /sent messages; every one read/,
      /bob deprovisioned over SCIM in Entra's dialect .*"value":"False"/,
      /2 signed external Remove proposals .* in the removals feed/,
      /receiver guards admitted both proposals.*committed them by reference/,
      /epoch 2: 2 members left, .*both removals committed/,
      /bob-laptop and bob-phone fail to decrypt alice's next message; carol reads it/,
      /mlsid log verify: checkpoint signature and full replay hold/,
      /mlsid log account: bob's history is complete and proven: 2 devices enrolled, 2 certificates revoked, account deprovisioned/,
    ];
    expect(steps).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(steps[i]).toMatch(pattern));
    expect(out).toMatch(/demo complete: every step held in \d+\.\d\d s; service stopped/);
    expect(ms).toBeLessThan(60_000);
  }, 120_000);
});
