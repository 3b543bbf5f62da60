import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CREDENTIAL_CHANNEL } from '../../apps/identity-service/src/orgs/credential-cache.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { listenerReconnected, terminateListener } from '../support/pg-listener.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * Resolved bearer tokens are cached per replica; a revocation made on one replica (or by SQL
 * on the database) must reach every other replica's cache when it commits.
 */
describe('credential cache across replicas', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  const statusCheck = (app: TestApp, token: string) =>
    call(app.url, 'POST', '/v1/certificates/status', { token, body: { fingerprints: [randomBytes(32).toString('hex')] } });
  const scimList = (app: TestApp, token: string) => call(app.url, 'GET', '/scim/v2/acme/Users?count=1', { token });
  const checkpoint = (app: TestApp, token: string) => call(app.url, 'GET', '/kt/acme/checkpoint', { token });
  const mint = async (kind: 'ds-clients' | 'scim-tokens' | 'auditor-tokens') => {
    const res = await call(a.url, 'POST', `/v1/admin/orgs/acme/${kind}`, { token: a.adminToken, body: kind === 'ds-clients' ? { name: 'ds' } : {} });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, token: res.body.token as string };
  };
  /** Polls until the replica refuses the token; prompt means well inside the cache's TTL backstop (60 s). */
  const refusedWithin = (probe: () => Promise<{ status: number }>, ms: number, what: string) =>
    until(async () => (await probe()).status === 401, ms, what);

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await createTestApp({ db });
    b = await createTestApp({ db });
    await a.app.get(OrgsService).create('test', 'acme', 'Acme');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  it('answers a known DS token from the cache, without reading ds_client', async () => {
    const ds = await mint('ds-clients');
    expect((await statusCheck(b, ds.token)).status).toBe(200);
    // With the table locked, any read of ds_client would wait for the lock (and time out).
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE ds_client IN ACCESS EXCLUSIVE MODE');
      const res = await Promise.race([
        statusCheck(b, ds.token),
        new Promise<{ status: number }>((resolve) => setTimeout(() => resolve({ status: -1 }), 3000)),
      ]);
      expect(res.status).toBe(200);
      // An unknown token is never cached: it has to ask the database, and waits for the lock.
      const unknown = await Promise.race([
        statusCheck(b, `mlsid_ds_${randomBytes(32).toString('base64url')}`),
        new Promise<{ status: number }>((resolve) => setTimeout(() => resolve({ status: -1 }), 500)),
      ]);
      expect(unknown.status).toBe(-1);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  it('refuses a DS token on another replica promptly once it is revoked on one', async () => {
    const ds = await mint('ds-clients');
    expect((await statusCheck(a, ds.token)).status).toBe(200);
    expect((await statusCheck(b, ds.token)).status).toBe(200);
    const revoked = await call(a.url, 'DELETE', `/v1/admin/orgs/acme/ds-clients/${ds.id}`, { token: a.adminToken });
    expect(revoked.status).toBe(200);
    expect((await statusCheck(a, ds.token)).status).toBe(401);
    await refusedWithin(() => statusCheck(b, ds.token), 2000, 'replica b to refuse the revoked DS token');
  });

  it('refuses SCIM and auditor tokens revoked on another replica', async () => {
    const scim = await mint('scim-tokens');
    const auditor = await mint('auditor-tokens');
    expect((await scimList(b, scim.token)).status).toBe(200);
    expect((await checkpoint(b, auditor.token)).status).toBe(200);
    expect((await call(a.url, 'DELETE', `/v1/admin/orgs/acme/scim-tokens/${scim.id}`, { token: a.adminToken })).status).toBe(200);
    expect((await call(a.url, 'DELETE', `/v1/admin/orgs/acme/auditor-tokens/${auditor.id}`, { token: a.adminToken })).status).toBe(200);
    await refusedWithin(() => scimList(b, scim.token), 2000, 'replica b to refuse the revoked SCIM token');
    await refusedWithin(() => checkpoint(b, auditor.token), 2000, 'replica b to refuse the revoked auditor token');
  });

  it('drops a token revoked or deleted by SQL, outside the service', async () => {
    const ds = await mint('ds-clients');
    const scim = await mint('scim-tokens');
    expect((await statusCheck(b, ds.token)).status).toBe(200);
    expect((await scimList(b, scim.token)).status).toBe(200);
    await a.dataSource.query(`UPDATE ds_client SET revoked_at = now() WHERE id = $1`, [ds.id]);
    await a.dataSource.query(`DELETE FROM scim_token WHERE id = $1`, [scim.id]);
    await refusedWithin(() => statusCheck(b, ds.token), 2000, 'replica b to refuse the DS token revoked by SQL');
    await refusedWithin(() => scimList(b, scim.token), 2000, 'replica b to refuse the deleted SCIM token');
  });

  it('does not trust the cache while its listener is down, and drops it on reconnect', async () => {
    const ds = await mint('ds-clients');
    expect((await statusCheck(b, ds.token)).status).toBe(200);
    // Both replicas' listeners go: the revocation below is notified to nobody.
    const killed = await terminateListener(a.dataSource, CREDENTIAL_CHANNEL);
    await a.dataSource.query(`UPDATE ds_client SET revoked_at = now() WHERE id = $1`, [ds.id]);
    await refusedWithin(() => statusCheck(b, ds.token), 2000, 'replica b to refuse the token revoked while its listener was down');
    await listenerReconnected(a.dataSource, CREDENTIAL_CHANNEL, killed, 10_000);
    expect((await statusCheck(b, ds.token)).status).toBe(401);
  });

  it('keeps last_used_at a hint written at most once a minute', async () => {
    const ds = await mint('ds-clients');
    const version = async () => (await a.dataSource.query(`SELECT xmin::text AS v, last_used_at FROM ds_client WHERE id = $1`, [ds.id]))[0];
    expect((await statusCheck(b, ds.token)).status).toBe(200);
    const first = await version();
    expect(first.last_used_at).not.toBeNull();
    for (let i = 0; i < 4; i++) expect((await statusCheck(b, ds.token)).status).toBe(200);
    // The row was not written again (an UPDATE gives it a new xmin).
    expect((await version()).v).toBe(first.v);
  });
});
