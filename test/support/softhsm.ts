import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's softhsm2 package; `.ci/run` installs it when missing. */
export const SOFTHSM2_MODULE = process.env.SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  label: string;
  pin: string;
  /** The softhsm2.conf whose store holds this token. */
  conf: string;
  /** The service's environment to use this token. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * A fresh SoftHSM2 token with its own label and PIN. By default it is added to the run's token
 * store (SOFTHSM2_CONF, set by the jest global setup because the module reads the real process
 * environment), so the service can run in the test's process. `onlyMechanisms`
 * (softhsm2.conf `slots.mechanisms`) makes a token in a store of its own that lacks the other
 * algorithms, as some HSMs do; only a child process (SOFTHSM2_CONF = `conf`) can use it.
 */
export async function createSoftHsmToken(options: { onlyMechanisms?: string[] } = {}): Promise<SoftHsmToken> {
  if (!existsSync(SOFTHSM2_MODULE)) throw new Error(`SoftHSM2 is not installed (${SOFTHSM2_MODULE}); apt-get install softhsm2`);
  let conf = process.env.SOFTHSM2_CONF;
  let dir: string | undefined;
  if (options.onlyMechanisms?.length || !conf) {
    dir = await mkdtemp(path.join(tmpdir(), 'mlsid-softhsm-'));
    await mkdir(path.join(dir, 'tokens'));
    conf = path.join(dir, 'softhsm2.conf');
    const lines = [`directories.tokendir = ${path.join(dir, 'tokens')}`, 'objectstore.backend = file', 'log.level = ERROR'];
    // An allow-list: SoftHSM 2.6.1 ignores the first entry of a "-" (deny) list.
    if (options.onlyMechanisms?.length) lines.push(`slots.mechanisms = ${options.onlyMechanisms.join(',')}`);
    await writeFile(conf, `${lines.join('\n')}\n`);
  }
  const label = `mlsid-${randomBytes(4).toString('hex')}`;
  const pin = `pin-${randomBytes(6).toString('hex')}`;
  await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
  });
  const token = label;
  return {
    label,
    pin,
    conf,
    env: { KEY_STORE: 'pkcs11', PKCS11_MODULE: SOFTHSM2_MODULE, PKCS11_TOKEN_LABEL: label, PKCS11_PIN: pin },
    async dispose() {
      if (dir) await rm(dir, { recursive: true, force: true });
      else await run('softhsm2-util', ['--delete-token', '--token', token], { env: { ...process.env, SOFTHSM2_CONF: conf } }).catch(() => {});
    },
  };
}
