import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What dev mode hands to scripts, the demo and the CLI: `./.data/dev-credentials.json`. */
export interface DevCredentials {
  baseUrl: string;
  org: string;
  adminToken: string;
  scimToken: string;
  dsToken: string;
  idp: { issuer: string; clientId: string; appClientId: string; users: string[] };
}

export function devCredentialsFile(dataDir: string): string {
  return path.join(dataDir, 'dev-credentials.json');
}

export async function readDevCredentials(dataDir: string): Promise<Partial<DevCredentials>> {
  try {
    return JSON.parse(await readFile(devCredentialsFile(dataDir), 'utf8')) as Partial<DevCredentials>;
  } catch {
    return {};
  }
}

export async function writeDevCredentials(dataDir: string, creds: DevCredentials): Promise<void> {
  await writeFile(devCredentialsFile(dataDir), `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
}
