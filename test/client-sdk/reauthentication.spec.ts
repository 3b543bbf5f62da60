import { identityOf, sameClient } from '#x509-profile';
import { EnrollmentFailed, ServiceRefusal, renewalRefusalOf } from '#client-sdk';
import { nativeSignIn, startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { enrollWithToken, provision, sdkClient, USERS } from './sdk-harness.js';

describe('SDK re-authentication of an enrolled device against the service and an OIDC IdP', () => {
  let h: Harness;
  let accounts: Record<keyof typeof USERS, string>;

  beforeAll(async () => {
    h = await startHarness('okta', { users: USERS });
    accounts = await provision(h);
  });
  afterAll(() => h.close());

  it.each([1, 2])('renewal says reauthentication-required; session.reauthenticate keeps the device (cipher suite %i)', async (ciphersuite) => {
    const client = sdkClient(h);
    const device = await enrollWithToken(h, client, 'alice', ciphersuite);
    const session = client.session(device);
    const before = device.certificate;
    await h.t.dataSource.query(`UPDATE device SET authenticated_at = now() - interval '120 days' WHERE id = $1`, [device.deviceId]);
    const refusal = await session.renew().catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ServiceRefusal);
    expect(renewalRefusalOf(refusal as ServiceRefusal)).toBe('reauthentication-required');

    const nonces: string[] = [];
    const certificate = await session.reauthenticate(async (nonce) => {
      nonces.push(nonce);
      return nativeSignIn(h.idp, 'alice', nonce);
    });
    expect(nonces).toHaveLength(1);
    expect(certificate.deviceId).toBe(device.deviceId);
    expect(certificate.sha256).not.toBe(before.sha256);
    expect(device.certificate).toBe(certificate);
    expect(sameClient(certificate.chainDer, before.chainDer)).toBe(true);
    expect(identityOf(certificate.chainDer)).toMatchObject({ accountId: accounts.alice, deviceId: device.deviceId });
    // the renewal clock restarted: renewing works again, with the new chain
    expect((await session.renew()).certificate.deviceId).toBe(device.deviceId);
  });

  it('another person signing in is refused with the service reason, and the device keeps its certificate', async () => {
    const client = sdkClient(h);
    const device = await enrollWithToken(h, client, 'alice');
    const before = device.certificate;
    const refused = await client
      .session(device)
      .reauthenticate((nonce) => nativeSignIn(h.idp, 'bob', nonce))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EnrollmentFailed);
    expect((refused as EnrollmentFailed).reason).toBe('not_device_owner');
    expect(device.certificate).toBe(before);
  });
});
