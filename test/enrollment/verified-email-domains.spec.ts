import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { csrPem, deviceAuthorization, enrolledDevice } from '../support/device-client.js';
import { call } from '../support/test-app.js';
import { enrollNative, insertScimAccount, lastRefusal, nativeSignIn, newDeviceKey, startHarness, type Harness } from './enrollment-harness.js';

const run = promisify(execFile);

/** Issue 13 §6: a device certificate certifies only an email in a domain the org verified. */
describe('verified email domains', () => {
  let h: Harness;
  let dir: string;
  let aliceId: string;

  beforeAll(async () => {
    h = await startHarness('okta', {
      users: {
        alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
        mallory: { email: 'mallory@evil.example', amr: ['pwd', 'mfa'] },
      },
    });
    aliceId = await insertScimAccount(h, { userName: 'alice@acme.example' });
    // SCIM (or a JIT claim) supplied an address in a domain the org never verified.
    await insertScimAccount(h, { userName: 'mallory@evil.example' });
    dir = await mkdtemp(path.join(tmpdir(), 'verified-domains-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await h.close();
  });

  const settings = (body: unknown) =>
    call(h.t.url, 'PATCH', `/v1/admin/orgs/${h.org.slug}/settings`, { token: h.t.adminToken, body: { settings: body } });

  async function opensslVerify(chainPem: string): Promise<{ ok: boolean; output: string }> {
    const roots = await call(h.t.url, 'GET', `/pki/${h.org.slug}/roots.pem`);
    const [leaf, intermediate] = chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    await writeFile(path.join(dir, 'root.pem'), roots.text);
    await writeFile(path.join(dir, 'intermediate.pem'), intermediate);
    await writeFile(path.join(dir, 'leaf.pem'), leaf);
    try {
      const { stdout } = await run('openssl', [
        'verify',
        '-x509_strict',
        '-CAfile',
        path.join(dir, 'root.pem'),
        '-untrusted',
        path.join(dir, 'intermediate.pem'),
        path.join(dir, 'leaf.pem'),
      ]);
      return { ok: true, output: stdout };
    } catch (e) {
      return { ok: false, output: String((e as { stderr?: string }).stderr) };
    }
  }

  it('refuses malformed domain lists with every problem named', async () => {
    for (const bad of [['ACME.example'], ['acme'], ['*.acme.example'], ['a@acme.example'], 'acme.example', ['acme.example', 'acme.example']]) {
      const res = await settings({ certificates: { verifiedEmailDomains: bad } });
      expect(res.status).toBe(400);
      expect(res.body.reason).toBe('invalid_settings');
      expect(res.body.errors.join(' ')).toContain('certificates.verifiedEmailDomains');
    }
  });

  it('certifies in-domain emails under an intermediate constrained to the verified domains (openssl verifies the chain)', async () => {
    const res = await settings({ certificates: { verifiedEmailDomains: ['acme.example'] } });
    expect(res.status).toBe(200);
    expect(res.body.settings.certificates.verifiedEmailDomains).toEqual(['acme.example']);

    const key = await newDeviceKey();
    const enrolled = await enrollNative(h, key, await nativeSignIn(h.idp, 'alice', key.nonce));
    expect(enrolled.status).toBe(201);
    const intermediate = enrolled.body.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[1];
    await writeFile(path.join(dir, 'inter.pem'), intermediate);
    const { stdout } = await run('openssl', ['x509', '-in', path.join(dir, 'inter.pem'), '-noout', '-text']);
    // The setting change rotated the intermediate: the one that signed carries the constraint.
    expect(stdout).toMatch(/X509v3 Name Constraints: critical\s+Permitted:\s+URI:acme\s+email:acme\.example/);
    const verdict = await opensslVerify(enrolled.body.chainPem);
    expect(verdict.output).toContain('leaf.pem: OK');
  });

  it('refuses to certify an email outside the verified domains, and audits the refusal', async () => {
    const key = await newDeviceKey();
    const refused = await enrollNative(h, key, await nativeSignIn(h.idp, 'mallory', key.nonce));
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toBe('email_domain_not_verified');
    expect(refused.body.domain).toBe('evil.example');
    expect(await lastRefusal(h)).toMatchObject({ reason: 'email_domain_not_verified' });
    const [{ n }] = await h.t.dataSource.query(
      `SELECT count(*)::int AS n FROM device d JOIN account a ON a.id = d.account_id WHERE a.user_name = $1`,
      ['mallory@evil.example'],
    );
    expect(n).toBe(0);
  });

  it('an unchanged list does not rotate the intermediate again', async () => {
    const [{ n: before }] = await h.t.dataSource.query(`SELECT count(*)::int AS n FROM ca WHERE org_id = $1`, [h.org.id]);
    expect((await settings({ certificates: { verifiedEmailDomains: ['acme.example'], lifetimeDays: 3 } })).status).toBe(200);
    const [{ n: after }] = await h.t.dataSource.query(`SELECT count(*)::int AS n FROM ca WHERE org_id = $1`, [h.org.id]);
    expect(after).toBe(before);
  });

  it('refuses the renewal of a device whose email left the verified domains', async () => {
    const device = await enrolledDevice(h.t.app, h.org.id, aliceId);
    expect((await settings({ certificates: { verifiedEmailDomains: ['other.example'] } })).status).toBe(200);
    const path = `/v1/devices/${device.deviceId}/certificate/renew`;
    const body = JSON.stringify({ csr: await csrPem(device.device) });
    const authorization = await deviceAuthorization(device.device, device.chain.chainDer, { method: 'POST', path, body });
    const res = await call(h.t.url, 'POST', path, { raw: body, headers: { authorization, 'content-type': 'application/json' } });
    expect([res.status, res.body.reason]).toEqual([403, 'email_domain_not_verified']);
  });
});
