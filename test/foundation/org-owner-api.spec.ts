import { CredentialsService, OrgsService, type Org } from '../../apps/identity-service/src/orgs/index.js';
import { OutboxService } from '../../apps/identity-service/src/outbox/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * What other modules ask the owners of org, ds_client and outbox instead of reading those
 * tables: these calls are the whole of their access.
 */
describe('the org, credential and outbox owner APIs', () => {
  let t: TestApp;
  let orgs: OrgsService;
  let org: Org;

  beforeAll(async () => {
    t = await createTestApp();
    orgs = t.app.get(OrgsService);
    org = await orgs.create('test', 'owner', 'Owner');
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds an org by id and reads its effective settings, also inside a transaction', async () => {
    expect((await orgs.findById(org.id))?.slug).toBe('owner');
    expect(await orgs.findById('00000000-0000-4000-8000-000000000000')).toBeNull();
    await orgs.updateSettings('test', org, { removals: { overdueAfterMinutes: 30 } });
    const settings = await t.dataSource.transaction(async (m) => {
      const locked = await orgs.lock(m, org.id, 'no key update');
      expect(locked.slug).toBe('owner');
      return orgs.settings(org.id, m);
    });
    expect(settings.removals.overdueAfterMinutes).toBe(30);
    expect(settings.certificates.lifetimeDays).toBe(7);
  });

  it('looks up IdP connections by org id, never across orgs', async () => {
    const other = await orgs.create('test', 'owner-other', 'Other');
    const c = await orgs.addIdpConnection('test', org, { name: 'okta', kind: 'okta', issuer: 'https://owner.okta.com', clientId: 'a' });
    expect((await orgs.findIdpConnection(org.id, c.id))?.name).toBe('okta');
    expect(await orgs.findIdpConnection(other.id, c.id)).toBeNull();
    expect((await orgs.listIdpConnections(org.id)).map((x) => x.id)).toEqual([c.id]);
  });

  it('names the live delivery-service clients that take webhooks', async () => {
    const credentials = t.app.get(CredentialsService);
    const hooked = await credentials.createDsClient('test', org, 'hooked', 'https://chat.example.com/hook');
    await credentials.createDsClient('test', org, 'polling', null);
    const revoked = await credentials.createDsClient('test', org, 'gone', 'https://old.example.com/hook');
    await credentials.revokeDsClient('test', org, revoked.row.id);
    const lifecycle = await credentials.createDsClient('test', org, 'lifecycle', 'https://app.example.com/hook', ['device.revoked']);
    // a client that never chose gets the default set; one that chose gets only its choice
    expect(await credentials.webhookClientIds(t.dataSource.manager, org.id, 'removals.proposed', true)).toEqual([hooked.row.id]);
    expect(await credentials.webhookClientIds(t.dataSource.manager, org.id, 'device.revoked', false)).toEqual([lifecycle.row.id]);
    const found = await credentials.findDsClient(revoked.row.id);
    expect(found?.revokedAt).not.toBeNull();
    expect(credentials.webhookSecret(found!)).toMatch(/^mlsid_whsec_/);
  });

  it('says whether an outbox message is still live', async () => {
    const outbox = t.app.get(OutboxService);
    const [{ id }] = await t.dataSource.transaction(async (m) => {
      await outbox.enqueue(m, { orgId: org.id, topic: 'test.unhandled', payload: {} });
      return m.query(`SELECT id::text FROM outbox WHERE topic = 'test.unhandled' ORDER BY id DESC LIMIT 1`);
    });
    expect(await outbox.isLive(id, org.id, 'test.unhandled')).toBe(true);
    expect(await outbox.isLive(id, org.id, 'other.topic')).toBe(false);
    expect(await outbox.isLive('not-a-number', org.id, 'test.unhandled')).toBe(false);
    await t.dataSource.query(`UPDATE outbox SET dead_at = now() WHERE id = $1`, [id]);
    expect(await outbox.isLive(id, org.id, 'test.unhandled')).toBe(false);
  });
});
