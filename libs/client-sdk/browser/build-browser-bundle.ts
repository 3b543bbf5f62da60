// Bundles libs/client-sdk for browsers: one ES module, WebCrypto and fetch from the page.
// The protocol libs it imports (#tlog, #x509-profile, #mls, #protocol) are bundled from source
// unchanged: they use neither node:crypto nor Buffer, so the bundle needs no shim.
// Run: `npm run build && node dist/libs/client-sdk/browser/build-browser-bundle.js OUT.js`.
import { build, type Plugin } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repo root, from the source tree or from dist/. */
const root = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../../..') : path.resolve(here, '../../..');
const source = (...parts: string[]) => path.join(root, 'libs', ...parts);

/** The repo's `#lib` imports, resolved to the libs' TypeScript sources. */
const repoLibs: Plugin = {
  name: 'repo-libs',
  setup(b) {
    b.onResolve({ filter: /^#(tlog|x509-profile|mls|protocol|client-sdk)$/ }, (args) => ({ path: source(args.path.slice(1), 'src', 'index.ts') }));
  },
};

/**
 * ts-mls loads optional peers (post-quantum KEMs, extra HPKE suites) with dynamic import only
 * for suites that need them; those not installed here stay runtime imports. @noble/curves
 * (ECDSA for 0x0002 and 0x0007) and @hpke/chacha20poly1305 (the AEAD of 0x0003) are
 * installed and bundled: every suite the service advertises works in the browser too.
 */
const OPTIONAL_PEERS = ['@noble/post-quantum/*', '@hpke/dhkem-x448', '@hpke/ml-kem', '@hpke/hybridkem-x-wing'];

export interface BrowserBundle {
  code: string;
  bytes: number;
}

export async function buildBrowserBundle(outfile?: string): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: [source('client-sdk', 'src', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    sourcemap: false,
    write: outfile !== undefined,
    ...(outfile ? { outfile } : { outdir: 'out' }),
    tsconfig: path.join(root, 'tsconfig.browser.json'),
    plugins: [repoLibs],
    external: OPTIONAL_PEERS,
    logLevel: 'silent',
  });
  if (outfile) {
    const { readFile } = await import('node:fs/promises');
    const code = await readFile(outfile, 'utf8');
    return { code, bytes: Buffer.byteLength(code) };
  }
  const code = result.outputFiles![0]!.text;
  return { code, bytes: Buffer.byteLength(code) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = process.argv[2] ?? 'client-sdk.browser.js';
  buildBrowserBundle(out).then(
    (b) => console.log(`wrote ${out} (${b.bytes} bytes)`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
