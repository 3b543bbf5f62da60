import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN_JS = path.join(root, 'dist/apps/identity-service/src/main.js');

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built service (`npm test` builds before jest) as `npm start` would. */
export function startService(env: Record<string, string | undefined>, cwd = root): ServiceProcess {
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.NODE_ENV;
  delete clean.KEK;
  delete clean.ADMIN_TOKEN;
  const child = spawn(process.execPath, [MAIN_JS], { cwd, env: { ...clean, LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

export async function waitReady(base: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
