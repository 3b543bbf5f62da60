import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repo root, from the source tree (tests) or from dist/ (npm start). */
const root = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../../../..') : path.resolve(here, '../../../..');
export const CONSOLE_DIR = path.join(root, 'dist', 'console');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

export interface ConsoleAsset {
  body: Buffer;
  type: string;
}

/**
 * The built console, read once: a few files that change only with a new build, so every answer
 * comes from memory and no request path ever reaches the file system.
 */
export class ConsoleAssets {
  private constructor(
    private readonly indexTemplate: string,
    private readonly assets: ReadonlyMap<string, ConsoleAsset>,
  ) {}

  static load(dir = CONSOLE_DIR): ConsoleAssets | null {
    const index = path.join(dir, 'index.html');
    if (!existsSync(index)) return null;
    const assets = new Map<string, ConsoleAsset>();
    const assetDir = path.join(dir, 'assets');
    for (const name of existsSync(assetDir) ? readdirSync(assetDir) : []) {
      const file = path.join(assetDir, name);
      if (!statSync(file).isFile()) continue;
      assets.set(name, { body: readFileSync(file), type: TYPES[path.extname(name)] ?? 'application/octet-stream' });
    }
    return new ConsoleAssets(readFileSync(index, 'utf8'), assets);
  }

  asset(name: string): ConsoleAsset | undefined {
    return this.assets.get(name);
  }

  /** The page with a fresh nonce, which the component library puts on the style elements it creates. */
  page(): { html: string; nonce: string } {
    const nonce = randomBytes(16).toString('base64');
    return { html: this.indexTemplate.replaceAll('__CSP_NONCE__', nonce), nonce };
  }
}

/**
 * The console's policy: scripts and styles from this origin only, plus style elements carrying
 * the page's nonce; no framing, no plugins, no other origin to talk to.
 */
export function consoleContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
