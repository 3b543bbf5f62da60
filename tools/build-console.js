// Builds the admin console (apps/console) into dist/console: one ES module, one stylesheet and
// index.html. Run by `npm run build`. Everything the page loads comes from the service's own
// origin, so it runs under a Content-Security-Policy without 'unsafe-inline' for scripts.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'console');

/** The repo's `#lib` imports, resolved to the libs' TypeScript sources (the log verifier runs in the page). */
const repoLibs = {
  name: 'repo-libs',
  setup(b) {
    b.onResolve({ filter: /^#(tlog|protocol)$/ }, (args) => ({ path: path.join(root, 'libs', args.path.slice(1), 'src', 'index.ts') }));
  },
};

await mkdir(path.join(out, 'assets'), { recursive: true });
await build({
  entryPoints: { console: path.join(root, 'apps', 'console', 'src', 'main.tsx') },
  outdir: path.join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  minify: process.env.CONSOLE_DEV !== '1',
  sourcemap: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': JSON.stringify(process.env.CONSOLE_DEV === '1' ? 'development' : 'production') },
  plugins: [repoLibs],
  logLevel: 'warning',
});
await copyFile(path.join(root, 'apps', 'console', 'index.html'), path.join(out, 'index.html'));
