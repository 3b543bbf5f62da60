import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';

/** A checkpoint note found in the witness directory. */
export interface WitnessedNote {
  file: string;
  /** The note's first line: the log it claims to be of (its signature is checked by the caller). */
  origin: string;
  note: string;
}

const SUFFIX = '.checkpoint';

/**
 * Signed checkpoints kept outside the database: the latest one the service saw published for each
 * log, in `<percent-encoded origin>.checkpoint`, written atomically (temporary file, fsync,
 * rename). An operator may add any other `*.checkpoint` file holding a note as served by
 * GET /kt/{org}/checkpoint (an auditor's or monitor's copy): each is a promise the log must keep.
 */
export class CheckpointWitness {
  private readonly cache = new Map<string, { mtimeMs: number; note: string }>();
  private writes: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {}

  fileFor(origin: string): string {
    return path.join(this.dir, `${encodeURIComponent(origin)}${SUFFIX}`);
  }

  async notes(): Promise<WitnessedNote[]> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const out: WitnessedNote[] = [];
    for (const name of names.filter((n) => n.endsWith(SUFFIX)).sort()) {
      const file = path.join(this.dir, name);
      const { mtimeMs } = await stat(file);
      let cached = this.cache.get(file);
      if (!cached || cached.mtimeMs !== mtimeMs) {
        cached = { mtimeMs, note: await readFile(file, 'utf8') };
        this.cache.set(file, cached);
      }
      out.push({ file, origin: cached.note.split('\n', 1)[0]!, note: cached.note });
    }
    return out;
  }

  /**
   * Records `note` (of tree size `size`) for its log unless the recorded one is larger already.
   * Replicas sharing the directory may race and leave a slightly older checkpoint recorded: the
   * witness is a lower bound of what was published, never a checkpoint that was not.
   */
  record(origin: string, size: number, note: string): Promise<void> {
    // One write at a time in this process, so a smaller checkpoint never overwrites a larger one.
    const write = this.writes.then(() => this.write(origin, size, note));
    this.writes = write.catch(() => undefined);
    return write;
  }

  private async write(origin: string, size: number, note: string): Promise<void> {
    const file = this.fileFor(origin);
    const current = await readFile(file, 'utf8').catch(() => null);
    if (current !== null && Number(current.split('\n', 2)[1]) >= size) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Random, not the pid: replicas sharing one volume may all be pid 1 in their containers.
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(note);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  }
}
