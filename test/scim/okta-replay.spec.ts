import { insertDevice } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { auditActions, deviceStates, lastOutboxId, outboxEventsFor } from './outbox-probe.js';
import { CORE_GROUP, CORE_USER, createScimOrg, PATCH_OP, type ScimOrg } from './scim-org.js';

/**
 * What Okta sends when it provisions a user, pushes a group and deactivates the user
 * (Okta SCIM 2.0 provisioning: existence check by filter, POST, PUT for every profile
 * update, path-less PATCH for deactivation, PATCH members and rename for group push).
 */
describe('Okta provisioning sequence', () => {
  let t: TestApp;
  let org: ScimOrg;
  let tokenActor: string;

  beforeAll(async () => {
    t = await createTestApp();
    org = await createScimOrg(t, 'okta-co');
    const [token] = await t.dataSource.query('SELECT id FROM scim_token WHERE org_id = $1', [org.orgId]);
    tokenActor = `scim-token:${token.id}`;
  });
  afterAll(async () => {
    await t.close();
  });

  const oktaUser = (userName: string, givenName: string) => ({
    schemas: [CORE_USER],
    userName,
    name: { givenName, familyName: 'Doe' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${givenName} Doe`,
    locale: 'en-US',
    externalId: '00u1a2b3c4D5e6F7g8h9',
    groups: [],
    password: 'Okta-sends-one-if-configured-1',
    active: true,
  });

  it('creates, updates, pushes a group, deactivates (revoking every device once) and reactivates', async () => {
    const userName = 'jane.doe@okta-co.example';
    const exists = await org.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(exists.status).toBe(200);
    expect(exists.body).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await org.scim('POST', '/Users', { body: oktaUser(userName, 'Jane') });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${org.base}/Users/${id}`);
    expect(created.body.password).toBeUndefined();
    expect(created.body.externalId).toBe('00u1a2b3c4D5e6F7g8h9');

    const devices = [await insertDevice(t.dataSource, org.orgId, id, 2), await insertDevice(t.dataSource, org.orgId, id, 1)];

    const put = await org.scim('PUT', `/Users/${id}`, { body: { ...oktaUser(userName, 'Janet'), id } });
    expect(put.status).toBe(200);
    expect(put.body.name.givenName).toBe('Janet');
    expect(put.body.active).toBe(true);
    const [{ display_name }] = await t.dataSource.query('SELECT display_name FROM account WHERE id = $1', [id]);
    expect(display_name).toBe('Janet Doe');

    // Group push: create, add the member, rename (repeating the group's own id), remove the member.
    const group = await org.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], displayName: 'Engineering', members: [] } });
    expect(group.status).toBe(201);
    const gid = group.body.id as string;
    const add = await org.scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: userName }] }] },
    });
    expect(add.status).toBe(204);
    const member = await org.scim('GET', `/Users/${id}`);
    expect(member.body.groups).toEqual([{ value: gid, $ref: `${org.base}/Groups/${gid}`, display: 'Engineering', type: 'direct' }]);
    const rename = await org.scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Engineering Team' } }] },
    });
    expect(rename.status).toBe(204);
    const renamed = await org.scim('GET', `/Groups/${gid}`);
    expect(renamed.body.displayName).toBe('Engineering Team');
    expect(renamed.body.members).toEqual([{ value: id, $ref: `${org.base}/Users/${id}`, display: userName }]);
    const remove = await org.scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] },
    });
    expect(remove.status).toBe(204);
    expect((await org.scim('GET', `/Groups/${gid}`)).body.members).toBeUndefined();
    // No entitlement group is configured: leaving a group does not deprovision.
    expect((await deviceStates(t.dataSource, id)).every((d) => d.device === 'active')).toBe(true);

    // Deactivation: path-less replace; Okta retries on timeouts, so it comes three times.
    const baseline = await lastOutboxId(t.dataSource);
    const deactivate = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };
    for (let i = 0; i < 3; i++) {
      const res = await org.scim('PATCH', `/Users/${id}`, { body: deactivate });
      expect(res.status).toBe(204);
    }
    const after = await org.scim('GET', `/Users/${id}`);
    expect(after.body.active).toBe(false);
    expect(await deviceStates(t.dataSource, id)).toEqual([
      { device: 'revoked', reason: 'cessationOfOperation', certificates: expect.any(Array) },
      { device: 'revoked', reason: 'cessationOfOperation', certificates: expect.any(Array) },
    ]);
    const certs = (await deviceStates(t.dataSource, id)).flatMap((d) => d.certificates);
    expect(certs.sort()).toEqual(['revoked:5', 'revoked:5', 'revoked:5']);
    expect(await outboxEventsFor(t.dataSource, org.orgId, id, devices, baseline)).toEqual(
      [
        'crl.refresh',
        'kt.append:account_deprovisioned',
        'kt.append:certificate_revoked',
        'kt.append:certificate_revoked',
        'kt.append:certificate_revoked',
        'removal.plan',
      ].sort(),
    );
    // The devices extension reports what happened.
    const ext = after.body['urn:ietf:params:scim:schemas:extension:mls-identity:2.0:Devices'];
    expect(ext.devices.map((d: { status: string; certificateStatus: string }) => [d.status, d.certificateStatus])).toEqual([
      ['revoked', 'revoked'],
      ['revoked', 'revoked'],
    ]);

    // Every step is audited with the SCIM token as the actor.
    const audits = await auditActions(t.dataSource, `account:${id}`);
    expect(audits).toEqual([
      { action: 'scim.user.create', actor: tokenActor },
      { action: 'scim.user.update', actor: tokenActor },
      { action: 'account.deactivate', actor: tokenActor },
    ]);
    const deviceAudits = await t.dataSource.query(`SELECT actor FROM audit_event WHERE action = 'device.revoke' AND details->>'accountId' = $1`, [
      id,
    ]);
    expect(deviceAudits).toEqual([{ actor: tokenActor }, { actor: tokenActor }]);

    // Re-activation restores the account, not its devices: they must enroll again.
    const reactivate = await org.scim('PATCH', `/Users/${id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] },
    });
    expect(reactivate.status).toBe(204);
    expect((await org.scim('GET', `/Users/${id}`)).body.active).toBe(true);
    expect((await deviceStates(t.dataSource, id)).every((d) => d.device === 'revoked')).toBe(true);
    expect(await outboxEventsFor(t.dataSource, org.orgId, id, devices)).toContain('kt.append:account_reactivated');
  });

  it('PUT with active=false deprovisions as PATCH does', async () => {
    const userName = 'put.off@okta-co.example';
    const id = (await org.scim('POST', '/Users', { body: oktaUser(userName, 'Put') })).body.id as string;
    const devices = [await insertDevice(t.dataSource, org.orgId, id, 1)];
    const baseline = await lastOutboxId(t.dataSource);
    const res = await org.scim('PUT', `/Users/${id}`, { body: { ...oktaUser(userName, 'Put'), active: false } });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect(await outboxEventsFor(t.dataSource, org.orgId, id, devices, baseline)).toEqual(
      ['crl.refresh', 'kt.append:account_deprovisioned', 'kt.append:certificate_revoked', 'removal.plan'].sort(),
    );
  });

  it('removal from the configured entitlement group deprovisions the account', async () => {
    const group = await org.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], displayName: 'mls-users' } });
    const settings = await call(t.url, 'PATCH', `/v1/admin/orgs/${org.slug}/settings`, {
      token: t.adminToken,
      body: { settings: { scim: { entitlementGroupDisplayName: 'MLS-Users' } } },
    });
    expect(settings.status).toBe(200);
    const id = (await org.scim('POST', '/Users', { body: oktaUser('entitled@okta-co.example', 'Ent') })).body.id as string;
    const other = (await org.scim('POST', '/Users', { body: oktaUser('stays@okta-co.example', 'Stay') })).body.id as string;
    const devices = [await insertDevice(t.dataSource, org.orgId, id, 1)];
    await insertDevice(t.dataSource, org.orgId, other, 1);
    const gid = group.body.id as string;
    const add = await org.scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }, { value: other }] }] },
    });
    expect(add.status).toBe(204);
    const baseline = await lastOutboxId(t.dataSource);
    for (let i = 0; i < 2; i++) {
      const removed = await org.scim('PATCH', `/Groups/${gid}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] },
      });
      expect(removed.status).toBe(204);
    }
    expect((await org.scim('GET', `/Users/${id}`)).body.active).toBe(false);
    expect((await deviceStates(t.dataSource, id)).map((d) => d.device)).toEqual(['revoked']);
    expect((await deviceStates(t.dataSource, other)).map((d) => d.device)).toEqual(['active']);
    expect(await outboxEventsFor(t.dataSource, org.orgId, id, devices, baseline)).toEqual(
      ['crl.refresh', 'kt.append:account_deprovisioned', 'kt.append:certificate_revoked', 'removal.plan'].sort(),
    );
  });
});
