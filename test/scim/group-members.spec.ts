import { createTestApp, type TestApp } from '../support/test-app.js';
import { CORE_GROUP, CORE_USER, createScimOrg, PATCH_OP, type ScimOrg } from './scim-org.js';

/**
 * Member pushes resolve the accounts their values name inside the member upsert: only the
 * org's own live accounts are bound (whatever the case of the UUID), and a push that changes
 * nothing writes nothing.
 */
describe('SCIM group members', () => {
  let t: TestApp;
  let a: ScimOrg;
  let b: ScimOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await createScimOrg(t, 'members-a');
    b = await createScimOrg(t, 'members-b');
  });
  afterAll(async () => {
    await t.close();
  });

  const user = async (org: ScimOrg, userName: string): Promise<string> => {
    const r = await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName } });
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const bound = async (groupId: string): Promise<Record<string, string | null>> => {
    const rows: { value: string; account_id: string | null }[] = await t.dataSource.query(
      'SELECT value, account_id FROM scim_group_member WHERE group_id = $1',
      [groupId],
    );
    return Object.fromEntries(rows.map((r) => [r.value, r.account_id]));
  };
  const audited = async (groupId: string): Promise<number> =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE target = $1`, [`scim_group:${groupId}`]))[0].n;

  it("binds the org's own live accounts only: not another org's, not a deleted one, not a non-UUID value", async () => {
    const mine = await user(a, 'mine@a.example');
    const gone = await user(a, 'gone@a.example');
    expect((await a.scim('DELETE', `/Users/${gone}`)).status).toBe(204);
    const theirs = await user(b, 'theirs@b.example');

    const created = await a.scim('POST', '/Groups', {
      body: { schemas: [CORE_GROUP], displayName: 'Bound', members: [{ value: mine.toUpperCase() }] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.members).toEqual([expect.objectContaining({ value: mine })]);

    const pushed = await a.scim('PATCH', `/Groups/${id}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: theirs }, { value: gone }, { value: 'not-a-uuid' }] }],
      },
    });
    expect(pushed.status).toBe(204);
    expect(pushed.headers.get('etag')).toBe('W/"2"');
    expect(await bound(id)).toEqual({ [mine]: mine, [theirs]: null, [gone]: null, 'not-a-uuid': null });

    // The User's read-only groups attribute follows the binding: the other org's account is in no group of ours.
    expect((await a.scim('GET', `/Users/${mine}`)).body.groups).toEqual([expect.objectContaining({ value: id })]);
    expect((await b.scim('GET', `/Users/${theirs}`)).body.groups ?? []).toEqual([]);
  });

  it('a push of members already there is no change: same version, no audit event; asking for attributes returns the group', async () => {
    const u = await user(a, 'again@a.example');
    const id = (await a.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], displayName: 'Again', members: [{ value: u }] } })).body.id;
    const before = await audited(id);
    const again = await a.scim('PATCH', `/Groups/${id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }] },
    });
    expect(again.status).toBe(204);
    expect(again.headers.get('etag')).toBe('W/"1"');
    expect(await audited(id)).toBe(before);

    const other = await user(a, 'other@a.example');
    const withBody = await a.scim('PATCH', `/Groups/${id}?attributes=members`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: other }] }] },
    });
    expect(withBody.status).toBe(200);
    expect(withBody.headers.get('etag')).toBe('W/"2"');
    expect(withBody.body.members.map((m: { value: string }) => m.value).sort()).toEqual([u, other].sort());
    expect(await audited(id)).toBe(before + 1);
  });
});
