import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './exit-codes.js';

/**
 * What `mlsid log` remembers between runs: the pinned log key and the last checkpoint it
 * accepted (the signed note as received, so that a later fork can be shown to others).
 */
export interface LogStateFile {
  origin: string;
  verifierKey: string;
  checkpoint: string;
}

export function defaultStatePath(cwd: string, org: string): string {
  return path.join(cwd, '.data', `mlsid-log-${org}.json`);
}

export async function readStateFile(file: string): Promise<LogStateFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`cannot read state file ${file}: ${(e as Error).message}`);
  }
  let parsed: Partial<LogStateFile>;
  try {
    parsed = JSON.parse(text) as Partial<LogStateFile>;
  } catch {
    throw new UsageError(`state file ${file} is not JSON`);
  }
  if (typeof parsed.origin !== 'string' || typeof parsed.verifierKey !== 'string' || typeof parsed.checkpoint !== 'string') {
    throw new UsageError(`state file ${file} lacks origin, verifierKey or checkpoint`);
  }
  return parsed as LogStateFile;
}

/** Replaces the state atomically: a crash leaves the old state or the new one, never half. */
export async function writeStateFile(file: string, state: LogStateFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
