import { randomBytes } from 'node:crypto';
import type { Extension } from 'ts-mls';
import { decodeKeyEvent } from '#tlog';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import type { Org } from '../../apps/identity-service/src/orgs/org.entity.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { FakeDeliveryService, mlsClient, publishedExternalSenders, type MlsClient } from '../removals/mls-clients.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * The management API over accounts and devices, on real PostgreSQL: paging past the old
 * 1,000 cap, search, sealed cursors, org scoping, lost device and manual suspension end to end
 * (signed Removes in the DS feed, key-transparency entries), and the reports.
 */
describe('admin management API: accounts, devices, reports', () => {
  let t: TestApp;
  let org: Org;
  let other: Org;
  const admin = () => ({ token: t.adminToken });
  const get = (path: string) => call(t.url, 'GET', `/v1/admin/orgs/acme${path}`, admin());
  const post = (path: string, body: unknown = {}) => call(t.url, 'POST', `/v1/admin/orgs/acme${path}`, { ...admin(), body });

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    other = await t.app.get(OrgsService).create('test', 'globex', 'Globex');
  });
  afterAll(async () => {
    await t.close();
  });

  /** `n` devices of one account in one statement (paging needs volume, not enrollment). */
  async function bulkDevices(accountId: string, n: number, platform: string, prefix: string): Promise<void> {
    await t.dataSource.query(
      `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
       SELECT $1, $2, $5 || i, $4, 1, k, sha256(k) FROM (SELECT i, uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) AS k FROM generate_series(1, $3) i) s`,
      [org.id, accountId, n, platform, prefix],
    );
  }

  describe('devices', () => {
    let bulkAccount: string;
    beforeAll(async () => {
      bulkAccount = await insertAccount(t.dataSource, org.id, 'bulk@acme.example');
      await bulkDevices(bulkAccount, 1_150, 'android', 'bulk-');
      await bulkDevices(bulkAccount, 60, 'iOS', 'tablet-');
      await t.dataSource.query(
        `UPDATE device SET status = 'revoked', revoked_at = now() WHERE org_id = $1 AND name IN ('bulk-1', 'bulk-2', 'bulk-3')`,
        [org.id],
      );
    });

    it('pages past 1,000 devices without a silent cap: every device once, then next = null', async () => {
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        for (const d of res.body.devices) seen.add(d.id);
        expect(res.body.devices.length).toBe(pages === 0 ? 1000 : 210);
        cursor = res.body.next;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(seen.size).toBe(1_210);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM device WHERE org_id = $1`, [org.id]);
      expect(n).toBe(1_210);
      // A small page says so too: 3 devices and a cursor, never a truncated list without one.
      const small = await get('/devices?limit=3');
      expect([small.body.devices.length, typeof small.body.next]).toEqual([3, 'string']);
    });

    it('filters by status, platform (case-insensitive), account and name prefix, and pages within a filter', async () => {
      const revoked = await get('/devices?status=revoked');
      expect(revoked.body.devices.map((d: { name: string }) => d.name).sort()).toEqual(['bulk-1', 'bulk-2', 'bulk-3']);
      const ios = await get('/devices?platform=ios&limit=50');
      expect(ios.body.devices).toHaveLength(50);
      expect(ios.body.devices.every((d: { platform: string }) => d.platform === 'iOS')).toBe(true);
      const rest = await get(`/devices?platform=ios&limit=50&cursor=${ios.body.next}`);
      expect([rest.body.devices.length, rest.body.next]).toEqual([10, null]);
      const named = await get('/devices?name=BULK-115&accountId=' + bulkAccount);
      expect(named.body.devices.map((d: { name: string }) => d.name).sort()).toEqual(['bulk-115', 'bulk-1150']);
      // LIKE metacharacters typed by an admin match themselves.
      expect((await get('/devices?name=%25')).body.devices).toEqual([]);
      expect((await get('/devices?name=bulk_')).body.devices).toEqual([]);
    });

    it('refuses edited, foreign and mismatched cursors with 400 invalid_cursor', async () => {
      const first = await get('/devices?limit=10');
      const cursor: string = first.body.next;
      const flipped = cursor.slice(0, 20) + (cursor[20] === 'A' ? 'B' : 'A') + cursor.slice(21);
      for (const bad of [flipped, cursor.slice(0, -4), 'not-a-cursor', `${cursor}AAAA`]) {
        const res = await get(`/devices?limit=10&cursor=${encodeURIComponent(bad)}`);
        expect([res.status, res.body.reason]).toEqual([400, 'invalid_cursor']);
      }
      // Issued for other filters, another listing, or another org: refused, not reinterpreted.
      expect((await get(`/devices?limit=10&status=active&cursor=${cursor}`)).body.reason).toBe('invalid_cursor');
      expect((await get(`/accounts?cursor=${cursor}`)).body.reason).toBe('invalid_cursor');
      const foreign = await call(t.url, 'GET', `/v1/admin/orgs/globex/devices?limit=10&cursor=${cursor}`, admin());
      expect([foreign.status, foreign.body.reason]).toEqual([400, 'invalid_cursor']);
      // The cursor itself names nothing readable.
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toMatch(/bulk|[0-9a-f]{8}-[0-9a-f]{4}/);
    });

    it('answers bad paging and filter input with 400 and a reason', async () => {
      for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'status=lost', 'accountId=nope', 'cursor=' + 'x'.repeat(3000), 'unknown=1']) {
        const res = await get(`/devices?${q}`);
        expect([q, res.status, typeof (res.body.reason ?? res.body.errors?.[0])]).toEqual([q, 400, 'string']);
      }
    });

    it('renames a device (audited with before and after), refuses control characters, and 404s other orgs', async () => {
      const accountId = await insertAccount(t.dataSource, org.id, 'rename@acme.example');
      const { deviceId } = await insertDevice(t.dataSource, org.id, accountId);
      const renamed = await call(t.url, 'PATCH', `/v1/admin/orgs/acme/devices/${deviceId}`, { ...admin(), body: { name: 'Work phone' } });
      expect([renamed.status, renamed.body.name]).toEqual([200, 'Work phone']);
      const [audit] = await t.dataSource.query(`SELECT actor, details FROM audit_event WHERE action = 'device.rename' AND target = $1`, [
        `device:${deviceId}`,
      ]);
      expect(audit).toEqual({ actor: 'admin:bootstrap', details: { before: 'phone', after: 'Work phone' } });
      for (const body of [{ name: '' }, { name: 'a\u0000b' }, { name: 'x'.repeat(101) }, {}, { name: 'ok', extra: 1 }]) {
        const bad = await call(t.url, 'PATCH', `/v1/admin/orgs/acme/devices/${deviceId}`, { ...admin(), body });
        expect(bad.status).toBe(400);
      }
      const elsewhere = await call(t.url, 'PATCH', `/v1/admin/orgs/globex/devices/${deviceId}`, { ...admin(), body: { name: 'stolen' } });
      expect([elsewhere.status, elsewhere.body.reason]).toEqual([404, 'device_not_found']);
      expect((await call(t.url, 'GET', `/v1/admin/orgs/globex/devices/${deviceId}`, admin())).status).toBe(404);
      expect((await call(t.url, 'GET', `/v1/admin/orgs/globex/devices/${deviceId}/groups`, admin())).status).toBe(404);
      expect((await call(t.url, 'POST', `/v1/admin/orgs/globex/devices/${deviceId}/lost`, admin())).status).toBe(404);
      expect((await get(`/devices/${deviceId}`)).body.name).toBe('Work phone');
    });

    it('refuses requests without an admin token', async () => {
      for (const path of ['/devices', '/accounts', '/reports/devices-by-status']) {
        expect((await call(t.url, 'GET', `/v1/admin/orgs/acme${path}`)).status).toBe(401);
        expect((await call(t.url, 'GET', `/v1/admin/orgs/acme${path}`, { token: 'wrong' })).status).toBe(401);
      }
    });
  });

  describe('a lost device and a suspended account, end to end (ts-mls clients, DS feed, KT log)', () => {
    let ds: FakeDeliveryService;
    let dsClientId: string;
    let externalSenders: Extension;
    let alice: MlsClient;
    let bob: MlsClient;
    let carol: MlsClient;
    let groupId: string;

    beforeAll(async () => {
      const created = await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null);
      ds = new FakeDeliveryService(t.url, created.token);
      dsClientId = created.row.id;
      externalSenders = await publishedExternalSenders(t.url, 'acme');
      alice = await mlsClient(t.app, org.id, await insertAccount(t.dataSource, org.id, 'alice@acme.example'), 'alice');
      bob = await mlsClient(t.app, org.id, await insertAccount(t.dataSource, org.id, 'bob@acme.example'), 'bob');
      carol = await mlsClient(t.app, org.id, await insertAccount(t.dataSource, org.id, 'carol@acme.example'), 'carol');
      const { state, epoch1 } = await ds.reportedGroup('lost-device-room', alice, [bob, carol], externalSenders);
      expect(epoch1.status).toBe(200);
      groupId = Buffer.from(state.groupContext.groupId).toString('base64url');
    });

    async function feedFor(deviceId: string) {
      return until(
        async () => {
          const page = await ds.feed('0');
          const mine = page.body.removals.filter((r: { deviceId: string }) => r.deviceId === deviceId);
          return mine.length > 0 && mine;
        },
        15_000,
        `removals of ${deviceId} in the DS feed`,
      );
    }

    async function ktEventsOf(accountId: string) {
      const rows: { entry: Buffer }[] = await t.dataSource.query(`SELECT entry FROM kt_entry WHERE org_id = $1 AND account_id = $2 ORDER BY idx`, [
        org.id,
        accountId,
      ]);
      return rows.map((r) => decodeKeyEvent(new Uint8Array(r.entry)));
    }

    it('lists the groups a device is in', async () => {
      const res = await get(`/devices/${bob.deviceId}/groups`);
      expect(res.status).toBe(200);
      expect(res.body.groups).toEqual([expect.objectContaining({ groupId, epoch: '1', dsClientId })]);
      expect(res.body.pendingRemovals).toEqual([]);
    });

    it('report a lost device: certificates revoked, a signed Remove in the DS feed, a KT entry, audited as manual', async () => {
      const res = await post(`/devices/${bob.deviceId}/lost`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ revoked: true, devices: [bob.deviceId] });
      expect(res.body.certificates).toHaveLength(1);
      const removals = await feedFor(bob.deviceId);
      expect(removals[0]).toMatchObject({ groupId, reason: 'keyCompromise', leafIndex: expect.any(Number) });
      expect(removals[0].proposal).toEqual(expect.any(String));
      const events = await until(async () => {
        const e = await ktEventsOf(bob.accountId);
        return e.some((x) => x.type === 'certificate_revoked') && e;
      });
      expect(events.find((e) => e.type === 'certificate_revoked')).toMatchObject({ device: bob.deviceId, reason: 'keyCompromise' });
      const [device] = await t.dataSource.query(`SELECT status, revocation_reason FROM device WHERE id = $1`, [bob.deviceId]);
      expect(device).toEqual({ status: 'revoked', revocation_reason: 'keyCompromise' });
      const [audit] = await t.dataSource.query(`SELECT actor, details FROM audit_event WHERE action = 'device.report_lost' AND target = $1`, [
        `device:${bob.deviceId}`,
      ]);
      expect(audit).toMatchObject({ actor: 'admin:bootstrap', details: { manual: true, certificatesRevoked: 1 } });
      // The device view shows the open removal; a second report changes nothing.
      const groups = await get(`/devices/${bob.deviceId}/groups`);
      expect(groups.body.pendingRemovals).toEqual([expect.objectContaining({ groupId, deviceId: bob.deviceId, status: expect.any(String) })]);
      const again = await post(`/devices/${bob.deviceId}/lost`);
      expect([again.status, again.body.revoked, again.body.certificates]).toEqual([200, false, []]);
    });

    it('shows one account with its devices, certificates, groups and pending removals', async () => {
      const res = await get(`/accounts/${bob.accountId}`);
      expect(res.status).toBe(200);
      expect(res.body.account).toMatchObject({ id: bob.accountId, userName: 'bob@acme.example', status: 'active' });
      expect(res.body.devices).toEqual([expect.objectContaining({ id: bob.deviceId, status: 'revoked', groups: [groupId] })]);
      expect(res.body.certificates).toEqual([
        expect.objectContaining({ deviceId: bob.deviceId, status: 'revoked', revocationReason: 'keyCompromise' }),
      ]);
      expect(res.body.mlsGroups).toEqual([expect.objectContaining({ deviceId: bob.deviceId, groupId })]);
      expect(res.body.pendingRemovals).toHaveLength(1);
      expect(res.body.pendingRemovals[0].proposal).toBeUndefined();
      expect(res.text).not.toMatch(/signature_key"|BEGIN/);
      expect((await call(t.url, 'GET', `/v1/admin/orgs/globex/accounts/${bob.accountId}`, admin())).body.reason).toBe('unknown_account');
      expect((await get(`/accounts/not-a-uuid`)).status).toBe(400);
    });

    it('suspends an account by hand (the deprovisioning path, marked manual) and holds against SCIM reactivation', async () => {
      const res = await post(`/accounts/${carol.accountId}/suspend`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ changed: true, devices: [carol.deviceId], account: { status: 'suspended', suspendedBy: 'admin:bootstrap' } });
      const removals = await feedFor(carol.deviceId);
      expect(removals[0]).toMatchObject({ groupId, reason: 'privilegeWithdrawn' });
      const events = await until(async () => {
        const e = await ktEventsOf(carol.accountId);
        return e.some((x) => x.type === 'account_deprovisioned') && e;
      });
      expect(events.find((e) => e.type === 'account_deprovisioned')).toMatchObject({ reason: 'manual' });
      const [audit] = await t.dataSource.query(`SELECT details FROM audit_event WHERE action = 'account.suspend' AND target = $1`, [
        `account:${carol.accountId}`,
      ]);
      expect(audit.details).toMatchObject({ manual: true, devicesRevoked: 1 });
      // Twice: nothing more happens.
      expect((await post(`/accounts/${carol.accountId}/suspend`)).body).toMatchObject({ changed: false, devices: [] });

      // The IdP pushing active:true (Okta's profile push) does not lift an admin's suspension.
      const scim = await t.app.get(CredentialsService).createScimToken('test', org, 'okta');
      const patch = await call(t.url, 'PATCH', `/scim/v2/acme/Users/${carol.accountId}`, {
        token: scim.token,
        headers: { 'content-type': 'application/scim+json' },
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: true } }] },
      });
      expect([200, 204]).toContain(patch.status);
      expect((await get(`/accounts/${carol.accountId}`)).body.account.status).toBe('suspended');
    });

    it('resumes the account without resurrecting its revoked certificates, and respects the entitlement group', async () => {
      const groupRow = await t.dataSource.query(
        `INSERT INTO scim_group (org_id, display_name, resource) VALUES ($1, 'mls-users', '{}') RETURNING id`,
        [org.id],
      );
      await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
        ...admin(),
        body: { settings: { scim: { entitlementGroupId: groupRow[0].id } } },
      });
      const refused = await post(`/accounts/${carol.accountId}/resume`);
      expect([refused.status, refused.body.reason]).toEqual([403, 'account_not_entitled']);
      expect((await get(`/accounts/${carol.accountId}`)).body.account.status).toBe('suspended');
      await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', { ...admin(), body: { settings: { scim: { entitlementGroupId: null } } } });

      const resumed = await post(`/accounts/${carol.accountId}/resume`);
      expect([resumed.status, resumed.body.account.status, resumed.body.account.suspendedAt]).toEqual([200, 'active', null]);
      const certs = await t.dataSource.query(`SELECT status FROM certificate WHERE device_id = $1`, [carol.deviceId]);
      expect(certs.map((c: { status: string }) => c.status)).toEqual(['revoked']);
      const [device] = await t.dataSource.query(`SELECT status FROM device WHERE id = $1`, [carol.deviceId]);
      expect(device.status).toBe('revoked');
      const events = await until(async () => {
        const e = await ktEventsOf(carol.accountId);
        return e.some((x) => x.type === 'account_reactivated') && e;
      });
      expect(events.find((e) => e.type === 'account_reactivated')).toMatchObject({ reason: 'manual' });
      const again = await post(`/accounts/${carol.accountId}/resume`);
      expect([again.status, again.body.reason]).toEqual([409, 'account_not_suspended']);
    });

    it('does not suspend what the IdP deprovisioned, and an IdP deprovisioning takes a suspension over', async () => {
      const dave = await insertAccount(t.dataSource, org.id, 'dave@acme.example');
      await post(`/accounts/${dave}/suspend`);
      const scim = await t.app.get(CredentialsService).createScimToken('test', org, 'okta-2');
      const off = await call(t.url, 'PATCH', `/scim/v2/acme/Users/${dave}`, {
        token: scim.token,
        headers: { 'content-type': 'application/scim+json' },
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] },
      });
      expect([200, 204]).toContain(off.status);
      expect((await get(`/accounts/${dave}`)).body.account.status).toBe('inactive');
      const resume = await post(`/accounts/${dave}/resume`);
      expect([resume.status, resume.body.reason]).toEqual([409, 'account_not_suspended']);
      const suspend = await post(`/accounts/${dave}/suspend`);
      expect([suspend.status, suspend.body.reason]).toEqual([409, 'account_not_active']);
      expect((await call(t.url, 'POST', `/v1/admin/orgs/globex/accounts/${dave}/suspend`, admin())).body.reason).toBe('unknown_account');
    });

    it('reports overdue removals per group and DS client', async () => {
      await t.dataSource.query(`UPDATE removal SET planned_at = now() - interval '2 hours' WHERE org_id = $1`, [org.id]);
      const res = await get('/reports/overdue-removals');
      expect(res.status).toBe(200);
      expect(res.body.total).toBeGreaterThanOrEqual(2);
      expect(res.body.byGroup).toEqual([expect.objectContaining({ groupId, dsClientId, overdue: res.body.total })]);
      expect(res.body.byDsClient).toEqual([{ dsClientId, groups: 1, overdue: res.body.total }]);
      expect((await call(t.url, 'GET', '/v1/admin/orgs/globex/reports/overdue-removals', admin())).body.total).toBe(0);
    });
  });

  describe('account search', () => {
    beforeAll(async () => {
      const rows: [string, string | null, string | null][] = [
        ['jane.doe@acme.example', 'jane@acme.example', 'Jane Doe'],
        ['JANET.smith@acme.example', 'janet.smith@mail.acme.example', 'Janet Smith'],
        ['john@acme.example', 'j.ohn@acme.example', 'John Jones'],
        ['percent%@acme.example', null, null],
      ];
      for (const [userName, email, displayName] of rows) {
        await t.dataSource.query(`INSERT INTO account (org_id, user_name, email, display_name) VALUES ($1, $2, $3, $4)`, [
          org.id,
          userName,
          email,
          displayName,
        ]);
      }
      await insertAccount(t.dataSource, other.id, 'jane.other@globex.example');
    });
    const names = (res: { body: { accounts: { userName: string }[] } }) => res.body.accounts.map((a) => a.userName).sort();

    it('finds by userName, email and name, case-insensitively, by prefix or substring', async () => {
      expect(names(await get('/accounts?q=JAN'))).toEqual(['JANET.smith@acme.example', 'jane.doe@acme.example']);
      expect(names(await get('/accounts?q=jane.&field=userName'))).toEqual(['jane.doe@acme.example']);
      expect(names(await get('/accounts?q=j.ohn&field=email'))).toEqual(['john@acme.example']);
      expect(names(await get('/accounts?q=smith&match=substring&field=name'))).toEqual(['JANET.smith@acme.example']);
      expect(names(await get('/accounts?q=smith'))).toEqual([]);
      expect(names(await get('/accounts?q=%25'))).toEqual([]);
      expect(names(await get('/accounts?q=percent%25'))).toEqual(['percent%@acme.example']);
      // Another org's Jane is never found here.
      expect(names(await get('/accounts?q=jane.o'))).toEqual([]);
    });

    it('filters by status and pages with a cursor', async () => {
      expect(names(await get('/accounts?status=suspended'))).toEqual([]);
      const inactive = await get('/accounts?status=inactive');
      expect(names(inactive)).toEqual(['dave@acme.example']);
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        all.push(...res.body.accounts.map((a: { id: string }) => a.id));
        cursor = res.body.next;
      } while (cursor);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM account WHERE org_id = $1 AND deleted_at IS NULL`, [org.id]);
      expect([all.length, new Set(all).size]).toEqual([n, n]);
    });

    it('answers bad search input with 400 and a reason', async () => {
      for (const q of ['status=gone', 'field=phone', 'match=regex', 'q=', `q=${'a'.repeat(201)}`, 'limit=-1', 'cursor=%00%00%00']) {
        const res = await get(`/accounts?${q}`);
        expect([q, res.status, typeof (res.body.reason ?? res.body.errors?.[0])]).toEqual([q, 400, 'string']);
      }
    });
  });

  describe('reports', () => {
    it('counts devices by status and platform', async () => {
      const res = await get('/reports/devices-by-status');
      expect(res.status).toBe(200);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM device WHERE org_id = $1 AND status = 'revoked'`, [org.id]);
      expect(res.body.devices.revoked).toBe(n);
      expect(res.body.accounts).toMatchObject({ suspended: 0, inactive: 1 });
      expect(res.body.devicesByStatusAndPlatform).toContainEqual({ status: 'active', platform: 'iOS', count: 60 });
    });

    it('counts enrollments per day, every day listed', async () => {
      await t.dataSource.query(`UPDATE device SET created_at = now() - interval '3 days' WHERE org_id = $1 AND name = 'bulk-7'`, [org.id]);
      const res = await get('/reports/enrollments?days=7');
      expect(res.status).toBe(200);
      expect(res.body.days).toHaveLength(7);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM device WHERE org_id = $1`, [org.id]);
      expect(res.body.total).toBe(n);
      expect(res.body.days[3]).toEqual({ day: new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10), count: 1 });
      expect((await get('/reports/enrollments?days=0')).status).toBe(400);
    });

    it('counts certificates by expiry day and week', async () => {
      const account = await insertAccount(t.dataSource, org.id, `expiry-${randomBytes(3).toString('hex')}@acme.example`);
      const { deviceId } = await insertDevice(t.dataSource, org.id, account, 2);
      await t.dataSource.query(`UPDATE certificate SET not_after = now() + interval '20 days' WHERE device_id = $1`, [deviceId]);
      const days = await get('/reports/certificate-expiry?days=30');
      expect(days.status).toBe(200);
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM certificate WHERE org_id = $1 AND status IN ('active', 'superseded') AND not_after < now() + interval '30 days'`,
        [org.id],
      );
      expect(days.body.total).toBe(n);
      const weeks = await get('/reports/certificate-expiry?days=30&bucket=week');
      expect(weeks.body.total).toBe(n);
      expect(weeks.body.days.length).toBeLessThanOrEqual(days.body.days.length);
      expect(days.body.days).toContainEqual({ day: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10), count: 2 });
      expect((await get('/reports/certificate-expiry?bucket=month')).status).toBe(400);
    });
  });
});
