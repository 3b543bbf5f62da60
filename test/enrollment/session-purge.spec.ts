import { purgeExpiredSessions } from '../../apps/identity-service/src/enrollment/sessions/session-purge.js';
import { call } from '../support/test-app.js';
import { newDeviceKey, startHarness, type Harness } from './enrollment-harness.js';

describe('ended enrollment sessions are purged (issue 13 §7)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('okta', { orgSlug: 'purge', users: { alice: { email: 'alice@acme.example' } } });
  });
  afterAll(() => h.close());

  it('deletes sessions a day past their expiry, keeps younger ones, and the device then gets the same answer as for an unknown id', async () => {
    const start = async () =>
      (
        await call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
          body: { csr: (await newDeviceKey()).csrPem, deviceName: 'x', platform: 'linux', ciphersuite: 1, flow: 'device' },
        })
      ).body;
    const [old, recent, live] = [await start(), await start(), await start()];
    await h.t.dataSource.query(`UPDATE enrollment_session SET expires_at = now() - interval '25 hours' WHERE id = $1`, [old.enrollmentId]);
    await h.t.dataSource.query(`UPDATE enrollment_session SET expires_at = now() - interval '1 hour' WHERE id = $1`, [recent.enrollmentId]);
    expect(await purgeExpiredSessions(h.t.dataSource.manager)).toBe(1);
    const remaining = (await h.t.dataSource.query(`SELECT id FROM enrollment_session WHERE org_id = $1`, [h.org.id])).map(
      (r: { id: string }) => r.id,
    );
    expect(remaining.sort()).toEqual([recent.enrollmentId, live.enrollmentId].sort());
    const gone = await call(h.t.url, 'GET', `/v1/enrollments/${old.enrollmentId}`, { token: old.enrollmentSecret });
    expect([gone.status, gone.body.reason]).toEqual([401, 'enrollment_secret_invalid']);
    const expired = await call(h.t.url, 'GET', `/v1/enrollments/${recent.enrollmentId}`, { token: recent.enrollmentSecret });
    expect([expired.status, expired.body.reason]).toEqual([400, 'expired_token']);
  });
});
