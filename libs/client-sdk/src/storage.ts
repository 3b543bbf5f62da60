// What the SDK remembers between runs: the pinned log key and last accepted checkpoint, the
// last verdict per peer certificate, the last log position seen per watched account. Apps
// back it with IndexedDB, the keychain, a file...; values are JSON strings.
export interface SdkStorage {
  get(key: string): Promise<string | undefined | null>;
  set(key: string, value: string): Promise<void>;
}

/** Storage that forgets on restart: fine for tests and short-lived tools, weak against a lying log. */
export class MemoryStorage implements SdkStorage {
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
}

/** Reads a stored JSON value; a value that does not parse reads as absent (and is overwritten later). */
export async function readJson<T>(storage: SdkStorage, key: string): Promise<T | undefined> {
  const raw = await storage.get(key);
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

export async function writeJson(storage: SdkStorage, key: string, value: unknown): Promise<void> {
  await storage.set(key, JSON.stringify(value));
}
