import { resolveReceipt } from '../support/transparency-receipt.js';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeX509Credential } from '#mls';
import { call } from '../support/test-app.js';
import { enrollNative, insertScimAccount, nativeSignIn, newDeviceKey, startHarness, subjectsOf, type Harness } from './enrollment-harness.js';

const run = promisify(execFile);

describe.each(['okta', 'entra'] as const)('native enrollment with an ID token in hand (%s-like IdP)', (profile) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(profile, {
      users: {
        alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'], groups: ['chat-users'] },
        jit: { email: 'jit@acme.example', amr: ['pwd', 'mfa'] },
      },
    });
  });
  afterAll(() => h.close());

  it('enrolls a SCIM-provisioned account: device, certificate, KT events and audit in one go', async () => {
    const accountId = await insertScimAccount(h, { userName: 'Alice@Acme.example' });
    const key = await newDeviceKey();
    const idToken = await nativeSignIn(h.idp, 'alice', key.nonce);
    const res = await enrollNative(h, key, idToken);
    expect(res.status).toBe(201);
    const body = res.body;
    expect(body.accountId).toBe(accountId);
    expect(body.chainDer).toHaveLength(2);
    expect(body.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(new Date(body.renewAfter).getTime()).toBeLessThan(new Date(body.notAfter).getTime());
    // The certificate's key-transparency entry: an index, or a lookup that resolves within a second.
    expect(await resolveReceipt(h.t.url, h.t.adminToken, body.transparency, 'certificate_issued')).toEqual(expect.any(Number));
    // The credential is the chain in RFC 9420 encoding.
    const chain = decodeX509Credential(Buffer.from(body.credential, 'base64'));
    expect(chain.map((c) => Buffer.from(c).toString('base64'))).toEqual(body.chainDer);

    const [device] = await h.t.dataSource.query(`SELECT account_id, platform, ciphersuite, status, signature_key FROM device WHERE id = $1`, [
      body.deviceId,
    ]);
    expect(device).toMatchObject({ account_id: accountId, platform: 'ios', ciphersuite: 1, status: 'active' });
    expect(Buffer.from(device.signature_key)).toEqual(Buffer.from(key.spki));
    // Entra: tenant + object id (its `sub` is pairwise per app); Okta: the user id. Bound under the connection signed in through.
    expect(await subjectsOf(h, accountId)).toEqual({
      [h.connectionId]: profile === 'entra' ? `${h.idp.tenantId}:${h.idp.users.get('alice')!.oid}` : expect.stringMatching(/^00u/),
    });
    const events = await h.t.dataSource.query(`SELECT payload FROM outbox WHERE topic = 'kt.append' AND payload->>'deviceId' = $1 ORDER BY id`, [
      body.deviceId,
    ]);
    expect(events.map((e: { payload: { type: string } }) => e.payload.type).sort()).toEqual(['certificate_issued', 'device_enrolled']);
    const audits = await h.t.dataSource.query(`SELECT action, details FROM audit_event WHERE target = $1`, [`device:${body.deviceId}`]);
    expect(audits).toEqual([
      expect.objectContaining({ action: 'device.enroll', details: expect.objectContaining({ flow: 'native', accountMatchedBy: 'user_name' }) }),
    ]);
  });

  it('issues a chain that openssl verifies against the org root', async () => {
    const key = await newDeviceKey();
    const res = await enrollNative(h, key, await nativeSignIn(h.idp, 'alice', key.nonce));
    expect(res.status).toBe(201);
    const roots = await call(h.t.url, 'GET', `/pki/${h.org.slug}/roots.pem`);
    expect(roots.status).toBe(200);
    const dir = await mkdtemp(path.join(tmpdir(), 'enroll-'));
    try {
      const [leaf, intermediate] = res.body.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
      await writeFile(path.join(dir, 'root.pem'), roots.text);
      await writeFile(path.join(dir, 'intermediate.pem'), intermediate);
      await writeFile(path.join(dir, 'leaf.pem'), leaf);
      const { stdout } = await run('openssl', [
        'verify',
        '-x509_strict',
        '-CAfile',
        path.join(dir, 'root.pem'),
        '-untrusted',
        path.join(dir, 'intermediate.pem'),
        path.join(dir, 'leaf.pem'),
      ]);
      expect(stdout).toContain('leaf.pem: OK');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates the account just in time when the org allows it, and not otherwise', async () => {
    const key = await newDeviceKey();
    const refused = await enrollNative(h, key, await nativeSignIn(h.idp, 'jit', key.nonce));
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toBe('account_not_found');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');

    await h.t.dataSource.query(`UPDATE org SET settings = '{"enrollment":{"allowJitAccounts":true}}' WHERE id = $1`, [h.org.id]);
    const key2 = await newDeviceKey();
    const res = await enrollNative(h, key2, await nativeSignIn(h.idp, 'jit', key2.nonce));
    expect(res.status).toBe(201);
    const [account] = await h.t.dataSource.query(`SELECT user_name, email, active FROM account WHERE id = $1`, [res.body.accountId]);
    expect(account).toEqual({ user_name: 'jit@acme.example', email: 'jit@acme.example', active: true });
    await h.t.dataSource.query(`UPDATE org SET settings = '{}' WHERE id = $1`, [h.org.id]);
  });
});
