import { insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { auditActions, deviceStates, lastOutboxId, outboxEventsFor } from './outbox-probe.js';
import { CORE_GROUP, CORE_USER, createScimOrg, ENTERPRISE_USER, PATCH_OP, type ScimOrg } from './scim-org.js';

/**
 * What Microsoft Entra ID provisioning sends: existence check by filter, POST with the
 * enterprise extension, capitalised PATCH ops with string booleans and filtered paths,
 * group member removal by a value list, soft delete (active "False") then hard DELETE.
 */
describe('Entra provisioning sequence', () => {
  let t: TestApp;
  let org: ScimOrg;
  let tokenActor: string;

  beforeAll(async () => {
    t = await createTestApp();
    org = await createScimOrg(t, 'entra-co');
    const [token] = await t.dataSource.query('SELECT id FROM scim_token WHERE org_id = $1', [org.orgId]);
    tokenActor = `scim-token:${token.id}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates, patches in Entra dialect, removes from a group, soft deletes then hard deletes', async () => {
    const upn = 'Adele.Vance@entra-co.example';
    const check = await org.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${upn.toLowerCase()}"`)}`);
    expect(check.body.totalResults).toBe(0);

    const created = await org.scim('POST', '/Users', {
      body: {
        schemas: [CORE_USER, ENTERPRISE_USER],
        externalId: 'b1c2d3e4-0000-4000-8000-000000000001',
        userName: upn,
        active: true,
        displayName: 'Adele Vance',
        emails: [{ primary: true, type: 'work', value: upn }],
        name: { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adele' },
        title: 'Retail Manager',
        [ENTERPRISE_USER]: { employeeNumber: '1001', department: 'Retail', manager: { value: 'mgr-1' } },
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // userName is unique case-insensitively: Entra's lower-cased existence check finds her.
    const found = await org.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${upn.toLowerCase()}"`)}`);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);
    const devices = [await insertDevice(t.dataSource, org.orgId, id, 1), await insertDevice(t.dataSource, org.orgId, id, 1)];

    const patched = await org.scim('PATCH', `/Users/${id}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'adele.v@entra-co.example' },
          { op: 'Replace', path: 'name.givenName', value: 'Adèle' },
          { op: 'Add', value: { 'name.familyName': 'Vance-Smith', [`${ENTERPRISE_USER}:department`]: 'Sales' } },
        ],
      },
    });
    expect(patched.status).toBe(204);
    const got = await org.scim('GET', `/Users/${id}`);
    expect(got.body.emails).toEqual([{ primary: true, type: 'work', value: 'adele.v@entra-co.example' }]);
    expect(got.body.name).toMatchObject({ givenName: 'Adèle', familyName: 'Vance-Smith' });
    expect(got.body[ENTERPRISE_USER]).toMatchObject({ employeeNumber: '1001', department: 'Sales' });
    const [{ email }] = await t.dataSource.query('SELECT email FROM account WHERE id = $1', [id]);
    expect(email).toBe('adele.v@entra-co.example');
    const byWorkEmail = await org.scim('GET', `/Users?filter=${encodeURIComponent('emails[type eq "work" and value co "adele.v"]')}`);
    expect(byWorkEmail.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);

    const group = await org.scim('POST', '/Groups', {
      body: { schemas: [CORE_GROUP], externalId: 'grp-1', displayName: 'Retail', members: [{ value: id }] },
    });
    expect(group.status).toBe(201);
    const gid = group.body.id as string;
    const removeByList = await org.scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: id }] }] },
    });
    expect(removeByList.status).toBe(204);
    expect((await org.scim('GET', `/Groups/${gid}`)).body.members).toBeUndefined();

    // Soft delete: Entra sets active to the string "False"; retried, it changes nothing more.
    const baseline = await lastOutboxId(t.dataSource);
    const softDelete = { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] };
    for (let i = 0; i < 3; i++) expect((await org.scim('PATCH', `/Users/${id}`, { body: softDelete })).status).toBe(204);
    expect((await org.scim('GET', `/Users/${id}`)).body.active).toBe(false);
    expect((await deviceStates(t.dataSource, id)).map((d) => [d.device, d.reason, d.certificates])).toEqual([
      ['revoked', 'cessationOfOperation', ['revoked:5']],
      ['revoked', 'cessationOfOperation', ['revoked:5']],
    ]);

    // Hard delete: a tombstone remains, the User is gone for SCIM, a retry is 404.
    const del = await org.scim('DELETE', `/Users/${id}`);
    expect(del.status).toBe(204);
    expect((await org.scim('GET', `/Users/${id}`)).status).toBe(404);
    const again = await org.scim('DELETE', `/Users/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    const [tomb] = await t.dataSource.query('SELECT active, deleted_at FROM account WHERE id = $1', [id]);
    expect(tomb.active).toBe(false);
    expect(tomb.deleted_at).not.toBeNull();
    expect((await org.scim('GET', '/Users')).body.totalResults).toBe(0);

    expect(await outboxEventsFor(t.dataSource, org.orgId, id, devices, baseline)).toEqual(
      ['crl.refresh', 'kt.append:account_deprovisioned', 'kt.append:certificate_revoked', 'kt.append:certificate_revoked', 'removal.plan'].sort(),
    );
    expect(await auditActions(t.dataSource, `account:${id}`)).toEqual([
      { action: 'scim.user.create', actor: tokenActor },
      { action: 'scim.user.update', actor: tokenActor },
      { action: 'account.deactivate', actor: tokenActor },
      { action: 'account.delete', actor: tokenActor },
    ]);

    // The name is free again: Entra may re-create the person later as a new account.
    const recreated = await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: upn } });
    expect(recreated.status).toBe(201);
    expect(recreated.body.id).not.toBe(id);
  });

  it('DELETE of an active user with devices deprovisions it in the same request', async () => {
    const id = (await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'direct.delete@entra-co.example' } })).body.id as string;
    const devices = [await insertDevice(t.dataSource, org.orgId, id, 2)];
    const baseline = await lastOutboxId(t.dataSource);
    expect((await org.scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await deviceStates(t.dataSource, id)).map((d) => d.device)).toEqual(['revoked']);
    expect(await outboxEventsFor(t.dataSource, org.orgId, id, devices, baseline)).toEqual(
      ['crl.refresh', 'kt.append:account_deprovisioned', 'kt.append:certificate_revoked', 'kt.append:certificate_revoked', 'removal.plan'].sort(),
    );
  });
});
