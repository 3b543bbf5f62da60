// Issue 12 §5: a group with open removals whose delivery service stops reporting it is stale:
// listed (DS and admin), counted per org and exported per group in /metrics.
import { createHash } from 'node:crypto';
import type { ClientState, Extension } from 'ts-mls';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, groupPath, mlsClient, type MlsClient, publishedExternalSenders } from './mls-clients.js';

describe('report staleness: open removals and no report for N minutes', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let externalSenders: Extension;
  let alice: MlsClient;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    alice = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'alice@acme.example'), 'alice');
    externalSenders = await publishedExternalSenders(t.url, 'acme');
  });
  afterAll(() => t.close());

  async function groupWith(name: string, other: MlsClient): Promise<ClientState> {
    const { state, epoch1 } = await ds.reportedGroup(name, alice, [other], externalSenders);
    expect(epoch1.body).toMatchObject({ epoch: '1', members: 2 });
    return state;
  }

  const stale = async (token = ds.token) => (await call(t.url, 'GET', '/v1/ds/removals/stale-groups', { token })).body.groups;
  const metrics = async () => (await call(t.metricsUrl, 'GET', '/metrics')).text;
  /** Moves a group's last report and its removals' planning back in time, as if minutes passed. */
  const age = (state: ClientState, minutes: number, what: 'report' | 'removals' | 'both' = 'both') =>
    t.dataSource.transaction(async (m) => {
      const groupId = Buffer.from(state.groupContext.groupId);
      if (what !== 'removals')
        await m.query(`UPDATE mls_group SET updated_at = now() - make_interval(mins => $3) WHERE org_id = $1 AND group_id = $2`, [
          orgId,
          groupId,
          minutes,
        ]);
      if (what !== 'report')
        await m.query(
          `UPDATE removal SET planned_at = now() - make_interval(mins => $3)
            WHERE group_ref = (SELECT id FROM mls_group WHERE org_id = $1 AND group_id = $2)`,
          [orgId, groupId, minutes],
        );
    });

  it('flags a group whose DS went silent after a removal was asked for, until it reports again', async () => {
    const bob = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'bob@acme.example'), 'bob');
    const state = await groupWith('room-silent', bob);
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [bob.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    await until(async () => (await ds.feed('0')).body.removals.length > 0, 5000, 'the removal');
    expect(await stale()).toEqual([]);
    expect(await metrics()).toContain('mls_groups_report_stale{org="acme"} 0');

    // a quiet group is not stale the moment a removal is planned: the DS gets N minutes from then
    await age(state, 30, 'report');
    expect(await stale()).toEqual([]);

    // eleven minutes with the removal open and no report (default threshold 10)
    await age(state, 11);
    const [group] = await stale();
    const hash = createHash('sha256').update(state.groupContext.groupId).digest('hex');
    expect(group).toMatchObject({ groupId: groupPath(state), groupIdSha256: hash, epoch: '1', pendingRemovals: 1 });
    expect(group.staleSeconds).toBeGreaterThanOrEqual(11 * 60 - 1);
    const admin = await call(t.url, 'GET', '/v1/admin/orgs/acme/mls/removals/stale-groups', { token: t.adminToken });
    expect(admin.body.groups).toEqual([group]);
    const text = await metrics();
    expect(text).toContain('mls_groups_report_stale{org="acme"} 1');
    // the group appears in /metrics by its hash only: /metrics needs no credentials
    expect(text).toMatch(new RegExp(`mls_group_report_stale_seconds\\{org="acme",group="${hash}"\\} \\d+`));
    expect(text).not.toContain(groupPath(state));

    // a longer org threshold makes it not stale; a bad one is refused and changes nothing
    const bad = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { removals: { reportStaleAfterMinutes: 0 } } },
    });
    expect([bad.status, bad.body.reason]).toEqual([400, 'invalid_settings']);
    expect(await stale()).toHaveLength(1);
    await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { removals: { reportStaleAfterMinutes: 60 } } },
    });
    expect(await stale()).toEqual([]);
    await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { removals: { reportStaleAfterMinutes: 10 } } },
    });
    expect(await stale()).toHaveLength(1);

    // another org's DS sees none of it; no token, nothing
    const globex = await t.app.get(OrgsService).create('test', 'globex', 'Globex');
    const globexDs = await t.app.get(CredentialsService).createDsClient('test', globex, 'globex-ds', null);
    expect(await stale(globexDs.token)).toEqual([]);
    expect((await call(t.url, 'GET', '/v1/ds/removals/stale-groups')).status).toBe(401);
    expect((await call(t.url, 'GET', '/v1/ds/removals/stale-groups?limit=0', { token: ds.token })).status).toBe(400);

    // the DS reports the group again (the removal still open): no longer stale, yet still overdue
    expect((await ds.report(state)).status).toBe(200);
    expect(await stale()).toEqual([]);
    expect(await metrics()).toContain('mls_groups_report_stale{org="acme"} 0');
    expect((await call(t.url, 'GET', '/v1/ds/removals/overdue', { token: ds.token })).body.removals).toHaveLength(1);
  });
});
