import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { deviceStates, lastOutboxId, outboxEventsFor } from './outbox-probe.js';
import { CORE_GROUP, CORE_USER, createScimOrg, PATCH_OP, scimRequester, type ScimOrg } from './scim-org.js';

/** Cuts every connection of the instance to its database, as a killed process would. */
async function severConnections(db: TestDatabase): Promise<void> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  } finally {
    await c.end();
  }
}

/**
 * invariant 1 in docs/architecture.md: a SCIM answer is sent after the commit, so an instance that dies
 * between two requests loses nothing, and the next instance carries on from the database.
 */
describe('SCIM across an instance crash', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('everything answered before the crash is there after a restart, and provisioning continues', async () => {
    const first: TestApp = await createTestApp({ db });
    const org: ScimOrg = await createScimOrg(first, 'crash-co');
    const id = (await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'crash@co.example', displayName: 'Before' } })).body
      .id as string;
    const gid = (await org.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], displayName: 'Crew', members: [{ value: id }] } })).body
      .id as string;
    const devices = [await insertDevice(first.dataSource, org.orgId, id, 2)];
    const baseline = await lastOutboxId(first.dataSource);
    const deactivated = await org.scim('PATCH', `/Users/${id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
    });
    expect(deactivated.status).toBe(204);

    await severConnections(db);
    await first.app.close().catch(() => undefined);

    const second = await createTestApp({ db });
    try {
      const base = `${second.url}/scim/v2/${org.slug}`;
      const again: ScimOrg = { ...org, base, scim: scimRequester(base, org.token) };
      const user = await again.scim('GET', `/Users/${id}`);
      expect(user.status).toBe(200);
      expect(user.body).toMatchObject({ userName: 'crash@co.example', displayName: 'Before', active: false });
      expect(user.body.groups.map((g: { value: string }) => g.value)).toEqual([gid]);
      expect((await deviceStates(second.dataSource, id)).map((d) => [d.device, d.certificates])).toEqual([['revoked', ['revoked:5', 'revoked:5']]]);
      expect(await outboxEventsFor(second.dataSource, org.orgId, id, devices, baseline)).toEqual(
        ['crl.refresh', 'kt.append:account_deprovisioned', 'kt.append:certificate_revoked', 'kt.append:certificate_revoked', 'removal.plan'].sort(),
      );
      // The IdP did not see the answer in time and retries on the new instance: nothing twice.
      expect(
        (await again.scim('PATCH', `/Users/${id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } }))
          .status,
      ).toBe(204);
      expect((await again.scim('DELETE', `/Users/${id}`)).status).toBe(204);
      expect((await again.scim('GET', `/Users/${id}`)).status).toBe(404);
      expect(await outboxEventsFor(second.dataSource, org.orgId, id, devices, baseline)).toEqual(
        ['crl.refresh', 'kt.append:account_deprovisioned', 'kt.append:certificate_revoked', 'kt.append:certificate_revoked', 'removal.plan'].sort(),
      );
    } finally {
      await second.close();
    }
  }, 60000);
});
