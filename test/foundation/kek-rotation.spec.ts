import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretBox, SealedDataError } from '../../apps/identity-service/src/keys/index.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { DsClient } from '../../apps/identity-service/src/orgs/ds-client.entity.js';
import { IdpConnection } from '../../apps/identity-service/src/orgs/idp-connection.entity.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { SEALED_COLUMNS } from '../../apps/identity-service/src/sealed-columns.js';
import { enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { MAIN_JS } from '../support/service-process.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Every sealed value in the database, as `table.column:id` → bytes. */
async function sealedValues(t: TestApp): Promise<Map<string, { sealed: Buffer; context: string }>> {
  const values = new Map<string, { sealed: Buffer; context: string }>();
  for (const c of SEALED_COLUMNS) {
    const rows: { id: string; v: Buffer }[] = await t.dataSource.query(
      `SELECT id::text AS id, ${c.column} AS v FROM ${c.table} WHERE ${c.column} IS NOT NULL`,
    );
    for (const r of rows) values.set(`${c.table}.${c.column}:${r.id}`, { sealed: Buffer.from(r.v), context: c.context(r.id) });
  }
  return values;
}

const ROTATE_KEK_JS = path.join(path.dirname(MAIN_JS), 'rotate-kek.js');

/** `npm run rotate-kek` (the built CLI) with the current KEK and a file holding the new one. */
async function rotateKek(t: TestApp, oldKek: string, newKek: string): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlsid-kek-'));
  try {
    await writeFile(path.join(dir, 'new-kek'), `${newKek}\n`, { mode: 0o600 });
    const child = spawn(process.execPath, [ROTATE_KEK_JS], {
      env: { PATH: process.env.PATH, DATABASE_URL: t.db.url, KEK: oldKek, NEW_KEK_FILE: path.join(dir, 'new-kek') },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('KEK rotation: every sealed value re-wrapped in one transaction', () => {
  let t: TestApp;
  const oldKek = randomBytes(32).toString('base64');
  const newKek = randomBytes(32).toString('base64');
  let orgId: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { KEK: oldKek } });
    const orgs = t.app.get(OrgsService);
    const org = await orgs.create('test', 'acme', 'Acme');
    orgId = org.id;
    await orgs.addIdpConnection('test', org, {
      name: 'okta',
      kind: 'okta',
      issuer: 'https://idp.example',
      clientId: 'c',
      clientSecret: 'idp-secret-42',
    } as never);
    await t.app.get(CredentialsService).createDsClient('test', org, 'ds', 'https://ds.example/hook');
    await enrolledDevice(t.app, orgId, await insertAccount(t.dataSource, orgId, 'a@acme.example'));
  });
  let restarted = false;
  afterAll(async () => {
    await t.close();
    if (restarted) await t.db.drop();
  });

  it('declares every *_sealed column of the schema', async () => {
    const rows: { t: string; c: string }[] = await t.dataSource.query(
      `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND column_name LIKE '%\\_sealed'`,
    );
    expect(rows.map((r) => `${r.t}.${r.c}`).sort()).toEqual(SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`).sort());
  });

  it('refuses a wrong current KEK and changes nothing', async () => {
    const before = await sealedValues(t);
    const res = await rotateKek(t, randomBytes(32).toString('base64'), newKek);
    expect(res.code).toBe(1);
    expect(res.output).toContain('sealed data could not be opened');
    expect(res.output).not.toContain(newKek);
    expect(await sealedValues(t)).toEqual(before);
  });

  it('re-wraps CA, log and external-sender keys and every secret; only the new KEK opens them; the service runs on it', async () => {
    const before = await sealedValues(t);
    expect(before.size).toBeGreaterThanOrEqual(5);
    // the replicas stop (the database stays); the rotation runs; they start on the new KEK
    await t.app.close();
    restarted = true;
    const res = await rotateKek(t, oldKek, newKek);
    expect(res.output).toContain(`re-wrapped ${before.size} sealed values`);
    expect(res.code).toBe(0);
    expect(res.output).not.toContain(newKek);
    expect(res.output).not.toContain(oldKek);

    t = await createTestApp({ db: t.db, env: { KEK: newKek } });
    const after = await sealedValues(t);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const oldBox = new SecretBox(Buffer.from(oldKek, 'base64'));
    const newBox = new SecretBox(Buffer.from(newKek, 'base64'));
    for (const [key, { sealed, context }] of after) {
      expect([key, sealed.equals(before.get(key)!.sealed)]).toEqual([key, false]);
      expect(() => oldBox.open(sealed, context)).toThrow(SealedDataError);
      expect(newBox.open(sealed, context).equals(oldBox.open(before.get(key)!.sealed, context))).toBe(true);
    }
    // the service on the new KEK signs with the re-wrapped CA keys and reads its secrets
    await enrolledDevice(t.app, orgId, await insertAccount(t.dataSource, orgId, 'b@acme.example'));
    const [idp] = await t.dataSource.getRepository(IdpConnection).findBy({ orgId });
    expect(t.app.get(OrgsService).idpClientSecret(idp!)).toBe('idp-secret-42');
    const [ds] = await t.dataSource.getRepository(DsClient).findBy({ orgId });
    expect(t.app.get(CredentialsService).webhookSecret(ds!)).toMatch(/^mlsid_whsec_/);
  });
});
