import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `openssl verify` on files written to a temporary directory; returns its verdict. */
export async function opensslVerify(
  files: { root: string; untrusted: string; leaf: string; crls?: Uint8Array[] },
  flags: string[] = ['-x509_strict'],
): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlsid-openssl-'));
  try {
    const p = (n: string) => path.join(dir, n);
    await writeFile(p('root.pem'), files.root);
    await writeFile(p('untrusted.pem'), files.untrusted);
    await writeFile(p('leaf.pem'), files.leaf);
    const args = ['verify', ...flags, '-CAfile', p('root.pem'), '-untrusted', p('untrusted.pem')];
    if (files.crls?.length) {
      let bundle = '';
      for (const [i, crl] of files.crls.entries()) {
        await writeFile(p(`crl${i}.der`), crl);
        bundle += (await run('openssl', ['crl', '-inform', 'DER', '-in', p(`crl${i}.der`)])).stdout;
      }
      await writeFile(p('crls.pem'), bundle);
      args.push('-CRLfile', p('crls.pem'));
    }
    args.push(p('leaf.pem'));
    try {
      const { stdout, stderr } = await run('openssl', args);
      return { ok: true, output: stdout + stderr };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
