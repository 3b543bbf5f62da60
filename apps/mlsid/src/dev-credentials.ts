import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What dev mode writes for scripts (apps/identity-service/src/dev/dev-credentials.ts), read
 * from `./.data/dev-credentials.json` below the working directory. Every field is optional:
 * the commands say which one they miss.
 */
export interface DevCredentials {
  baseUrl?: string;
  org?: string;
  adminToken?: string;
  scimToken?: string;
  dsToken?: string;
  idp?: { issuer?: string; clientId?: string; appClientId?: string; users?: string[] };
}

export function devCredentialsPath(cwd: string): string {
  return path.join(cwd, '.data', 'dev-credentials.json');
}

export async function readDevCredentials(cwd: string): Promise<DevCredentials> {
  try {
    const parsed = JSON.parse(await readFile(devCredentialsPath(cwd), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as DevCredentials) : {};
  } catch {
    return {};
  }
}
