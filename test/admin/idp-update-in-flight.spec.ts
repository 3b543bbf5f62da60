import { confirmInBrowser, insertScimAccount, newDeviceKey, SERVICE_CLIENT, startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { call } from '../support/test-app.js';

/** An IdP connection updated in place while a device enrollment waits for its person: it still completes. */
describe('IdP connection updated during an enrollment in flight (Okta-like IdP)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('okta', { users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] } } });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
  });
  afterAll(() => h.close());

  it('completes the device flow started before the secret, claim map, MFA flag and name changed', async () => {
    const key = await newDeviceKey();
    const started = await call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
      body: { csr: key.csrPem, deviceName: 'laptop', platform: 'linux', ciphersuite: 1, flow: 'device' },
    });
    expect(started.status).toBe(201);
    const { enrollmentId, enrollmentSecret, verificationUri, userCode } = started.body;

    // The IdP rotated the client secret (it accepts the new one), and the admin updates the connection.
    const patched = await call(h.t.url, 'PATCH', `/v1/admin/orgs/${h.org.slug}/idp-connections/${h.connectionId}`, {
      token: h.t.adminToken,
      body: { name: 'okta-renamed', clientSecret: SERVICE_CLIENT.clientSecret, claimMapping: { email: 'email' }, requireMfa: true },
    });
    expect([patched.status, patched.body.id, patched.body.name]).toEqual([200, h.connectionId, 'okta-renamed']);

    await confirmInBrowser(h, verificationUri, 'alice', userCode);
    await h.t.dataSource.query(`UPDATE enrollment_session SET next_poll_at = now() WHERE id = $1`, [enrollmentId]);
    const done = await call(h.t.url, 'POST', `/v1/enrollments/${enrollmentId}/poll`, { token: enrollmentSecret });
    expect([done.status, done.body.status]).toEqual([200, 'completed']);
  });
});
