import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import { decodeX509Credential } from '#mls';
import { identityOf } from '#x509-profile';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { runCli } from '../../apps/mlsid/src/cli.js';
import { DEV_APP_REDIRECT_URI, devIdTokenFor } from '../../apps/mlsid/src/dev-sign-in.js';
import { EXIT } from '../../apps/mlsid/src/exit-codes.js';
import { insertAccount } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { confirmEnrollmentHeadless, startTestIdp, type TestIdp } from '../support/test-idp.js';

const SERVICE = { clientId: 'mls-identity', clientSecret: 'service-secret-0123456789abcdef' };
const APP = 'chat-app';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

/**
 * The CLI against a real service and an Okta-like IdP. The working directory holds a
 * dev-credentials.json as dev mode writes it, pointing at that IdP, so --dev-user signs in
 * there exactly as it does at the DEV IdP.
 */
describe('mlsid device enroll / renew, cert inspect', () => {
  let t: TestApp;
  let idp: TestIdp;
  let orgId: string;
  let cwd: string;
  let aliceAccount: string;

  async function mlsid(argv: string[], onOut?: (line: string) => void): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      cwd,
      out: (line) => {
        out.push(line);
        onOut?.(line);
      },
      err: (line) => err.push(line),
    });
    return { code, out, err };
  }

  const dir = (name: string) => path.join(cwd, name);
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const chainOf = async (d: string) =>
    ((await readFile(path.join(d, 'chain.pem'), 'utf8')).match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
      (pem) => new X509Certificate(pem),
    );

  beforeAll(async () => {
    idp = await startTestIdp({
      profile: 'okta',
      clients: [
        { clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, redirectUris: ['http://mlsid.test/v1/enrollments/callback'] },
        { clientId: APP, redirectUris: [DEV_APP_REDIRECT_URI] },
      ],
      users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] } },
    });
    // The service says it lives behind the name the IdP knows; the test reaches it directly.
    t = await createTestApp({ env: { PUBLIC_URL: 'http://mlsid.test' } });
    const orgs = t.app.get(OrgsService);
    const org = await orgs.create('test', 'acme', 'Acme');
    orgId = org.id;
    await orgs.addIdpConnection('test', org, {
      name: 'okta',
      kind: 'okta',
      issuer: idp.issuer,
      clientId: SERVICE.clientId,
      clientSecret: SERVICE.clientSecret,
      matchByVerifiedEmail: true,
      nativeClientIds: [APP],
    });
    aliceAccount = await insertAccount(t.dataSource, orgId, 'alice@acme.example');
    const dsToken = (await t.app.get(CredentialsService).createDsClient('test', org, 'ds', null)).token;
    cwd = await mkdtemp(path.join(tmpdir(), 'mlsid-cli-'));
    await mkdir(path.join(cwd, '.data'));
    await writeFile(
      path.join(cwd, '.data', 'dev-credentials.json'),
      JSON.stringify({
        baseUrl: t.url,
        org: 'acme',
        dsToken,
        idp: { issuer: idp.issuer, clientId: SERVICE.clientId, appClientId: APP, users: ['alice'] },
      }),
    );
  });

  afterAll(async () => {
    await t.close();
    await idp.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('enrolls with the token flow (--dev-user), writing key, chain and credential', async () => {
    const run = await mlsid(['device', 'enroll', '--org', 'acme', '--out', dir('laptop'), '--dev-user', 'alice', '--name', 'alice laptop']);
    expect(run.err).toEqual([]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.out[0]).toMatch(/^enrolled device [0-9a-f-]{36} \(account [0-9a-f-]{36}, org acme, cipher suite 1\)$/);

    const key = await stat(path.join(dir('laptop'), 'device.key'));
    expect(key.mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir('laptop'), 'device.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const chain = await chainOf(dir('laptop'));
    expect(chain).toHaveLength(2);
    const identity = identityOf(chain.map((c) => new Uint8Array(c.rawData)));
    expect(identity).toMatchObject({ kind: 'device', org: 'acme', accountId: aliceAccount, email: 'alice@acme.example' });
    expect(chain[1]!.subject).toBe(chain[0]!.issuer);
    const credential = decodeX509Credential(new Uint8Array(await readFile(path.join(dir('laptop'), 'credential.bin'))));
    expect(credential.map(sha256)).toEqual(chain.map((c) => sha256(new Uint8Array(c.rawData))));
    const [device] = await t.dataSource.query(`SELECT name, status FROM device WHERE id = $1`, [(identity as { deviceId: string }).deviceId]);
    expect(device).toEqual({ name: 'alice laptop', status: 'active' });
  });

  it('enrolls with the device flow, printing the code and where to enter it (then sign in and confirm)', async () => {
    let confirmed: Promise<{ status: number }> | undefined;
    const run = await mlsid(['device', 'enroll', '--out', dir('tablet'), '--flow', 'device'], (line) => {
      // the person at the terminal opens the page elsewhere, types the code, signs in and confirms
      const m = /^To enroll this device, open (\S+) and enter the code (\S+)$/.exec(line);
      if (m) {
        confirmed = confirmEnrollmentHeadless(m[1]!, { login: 'alice', code: m[2]!, reach: (u) => u.replace('http://mlsid.test', t.url) });
      }
    });
    expect(run.err).toEqual([]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.out[0]).toMatch(/^To enroll this device, open http:\/\/mlsid\.test\/v1\/enrollments\/activate and enter the code [A-Z]{4}-[A-Z]{4}$/);
    expect((await confirmed)?.status).toBe(200);
    expect(run.out.some((l) => l.startsWith('enrolled device '))).toBe(true);
    expect((await chainOf(dir('tablet'))).length).toBe(2);
  }, 40_000);

  it('renews with a device-signed request, rewriting chain and credential (and the key with --rotate-key)', async () => {
    const keyBefore = await readFile(path.join(dir('laptop'), 'device.key'), 'utf8');
    const [leafBefore] = await chainOf(dir('laptop'));
    const run = await mlsid(['device', 'renew', '--dir', dir('laptop')]);
    expect([run.code, run.err]).toEqual([EXIT.ok, []]);
    const [leafAfter] = await chainOf(dir('laptop'));
    expect(leafAfter!.serialNumber).not.toBe(leafBefore!.serialNumber);
    expect(run.out).toEqual([expect.stringContaining(`serial ${leafBefore!.serialNumber} -> ${leafAfter!.serialNumber}`)]);
    expect(await readFile(path.join(dir('laptop'), 'device.key'), 'utf8')).toBe(keyBefore);
    const credential = decodeX509Credential(new Uint8Array(await readFile(path.join(dir('laptop'), 'credential.bin'))));
    expect(sha256(credential[0]!)).toBe(sha256(new Uint8Array(leafAfter!.rawData)));

    const rotated = await mlsid(['device', 'renew', '--dir', dir('laptop'), '--rotate-key']);
    expect(rotated.code).toBe(EXIT.ok);
    expect(rotated.out[0]).toContain('with a new key');
    expect(await readFile(path.join(dir('laptop'), 'device.key'), 'utf8')).not.toBe(keyBefore);
    // the rewritten files belong together: the next renewal is signed with the new key
    expect((await mlsid(['device', 'renew', '--dir', dir('laptop')])).code).toBe(EXIT.ok);
  });

  it('re-authenticates a device that needs a fresh sign-in: same device and identity, new certificate (--dev-user, or --print-nonce then --jti/--id-token)', async () => {
    const { deviceId } = JSON.parse(await readFile(path.join(dir('laptop'), 'device.json'), 'utf8'));
    await t.dataSource.query(`UPDATE device SET authenticated_at = now() - interval '100 days' WHERE id = $1`, [deviceId]);
    const refused = await mlsid(['device', 'renew', '--dir', dir('laptop')]);
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.err).toEqual([
      'mlsid: renewal refused (reauthentication_required): the org requires a fresh sign-in: mlsid device reauthenticate --dir DIR',
    ]);

    const [before] = await chainOf(dir('laptop'));
    const run = await mlsid(['device', 'reauthenticate', '--dir', dir('laptop'), '--dev-user', 'alice']);
    expect([run.code, run.err]).toEqual([EXIT.ok, []]);
    expect(run.out[0]).toMatch(new RegExp(`^re-authenticated device ${deviceId} \\(same identity\\): serial \\w+ -> \\w+, valid until `));
    const [after] = await chainOf(dir('laptop'));
    expect(after!.serialNumber).not.toBe(before!.serialNumber);
    expect(identityOf([new Uint8Array(after!.rawData)])).toMatchObject({ deviceId, accountId: aliceAccount });
    // the files belong together: renewal works again
    expect((await mlsid(['device', 'renew', '--dir', dir('laptop')])).code).toBe(EXIT.ok);

    // Without the DEV IdP: print the nonce, sign in with it elsewhere, send the token.
    const printed = await mlsid(['device', 'reauthenticate', '--dir', dir('laptop'), '--print-nonce']);
    expect(printed.code).toBe(EXIT.ok);
    const jti = /^jti (\S+)$/.exec(printed.out[0]!)![1]!;
    const nonce = /^nonce (\S+)$/.exec(printed.out[1]!)![1]!;
    const idToken = await devIdTokenFor({ issuer: idp.issuer, appClientId: APP }, 'alice', nonce);
    const sent = await mlsid(['device', 'reauthenticate', '--dir', dir('laptop'), '--jti', jti, '--id-token', idToken]);
    expect([sent.code, sent.err]).toEqual([EXIT.ok, []]);
    // the same token again, or one signed in for another request, is refused with one line
    const replayed = await mlsid(['device', 'reauthenticate', '--dir', dir('laptop'), '--jti', jti, '--id-token', idToken]);
    expect(replayed.code).toBe(EXIT.refused);
    expect(replayed.err).toHaveLength(1);
    const other = await mlsid(['device', 'reauthenticate', '--dir', dir('laptop'), '--jti', 'f'.repeat(32), '--id-token', idToken]);
    expect([other.code, other.err[0]]).toEqual([
      EXIT.refused,
      expect.stringMatching(/^mlsid: re-authentication refused \(id_token_nonce_mismatch\)/),
    ]);
    for (const argv of [
      ['device', 'reauthenticate', '--dir', dir('laptop')],
      ['device', 'reauthenticate', '--dir', dir('laptop'), '--id-token', idToken],
      ['device', 'reauthenticate', '--dir', dir('laptop'), '--dev-user', 'alice', '--jti', jti],
    ]) {
      const bad = await mlsid(argv);
      expect([argv.join(' '), bad.code]).toEqual([argv.join(' '), EXIT.other]);
    }
  });

  it('inspects chain.pem and credential.bin: profile fields and the status at the service', async () => {
    const [leaf] = await chainOf(dir('laptop'));
    for (const file of ['chain.pem', 'credential.bin']) {
      const run = await mlsid(['cert', 'inspect', path.join(dir('laptop'), file)]);
      expect([run.code, run.err]).toEqual([EXIT.ok, []]);
      const fields = Object.fromEntries(run.out.map((l) => [l.slice(0, 12).trim(), l.slice(14)]));
      expect(fields['identity URI']).toMatch(new RegExp(`^mls-identity://acme/accounts/${aliceAccount}/devices/[0-9a-f-]{36}$`));
      expect(fields.email).toBe('alice@acme.example');
      expect(fields.serial).toBe(leaf!.serialNumber);
      expect(fields.key).toBe('Ed25519 (MLS cipher suites 0x0001, 0x0003)');
      expect(fields.sha256).toBe(sha256(new Uint8Array(leaf!.rawData)));
      expect(fields['not after']).toContain(leaf!.notAfter.toISOString());
      expect(fields.status).toMatch(/^valid {3}from http:/);
    }
  });

  it('a revoked device: renewal refused with a clear message and exit code 5; inspect reports it revoked (exit 6)', async () => {
    const { deviceId } = JSON.parse(await readFile(path.join(dir('tablet'), 'device.json'), 'utf8'));
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    const chainBefore = await readFile(path.join(dir('tablet'), 'chain.pem'), 'utf8');
    const run = await mlsid(['device', 'renew', '--dir', dir('tablet')]);
    expect(run.code).toBe(EXIT.refused);
    expect(run.err).toEqual([
      'mlsid: renewal refused (certificate_revoked): this device or its account was revoked; it can no longer renew, enroll a new device',
    ]);
    expect(await readFile(path.join(dir('tablet'), 'chain.pem'), 'utf8')).toBe(chainBefore);

    const inspected = await mlsid(['cert', 'inspect', path.join(dir('tablet'), 'chain.pem')]);
    expect(inspected.code).toBe(EXIT.notValid);
    expect(inspected.out.at(-1)).toMatch(/^status {8}revoked \(keyCompromise, since \S+\)/);
    expect(inspected.err[0]).toMatch(/^mlsid: the service reports this certificate as revoked/);
  });

  it('refuses bad input and enrollment refusals with one line and a non-zero exit code', async () => {
    const refused = await mlsid(['device', 'enroll', '--out', dir('forged'), '--id-token', 'not.a.token']);
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.err).toHaveLength(1);
    expect(refused.err[0]).toMatch(/^mlsid: enrollment refused \(\w+\): /);
    await expect(stat(path.join(dir('forged'), 'device.key'))).rejects.toThrow();

    const cases: [string[], number, RegExp][] = [
      [['device', 'enroll', '--org', 'acme'], EXIT.other, /--out DIR is required/],
      [['device', 'enroll', '--out', dir('laptop'), '--dev-user', 'alice'], EXIT.other, /already holds a device key/],
      [['device', 'enroll', '--out', dir('x'), '--dev-user', 'mallory'], EXIT.other, /the DEV IdP has no user "mallory" \(it has alice\)/],
      [['device', 'enroll', '--out', dir('x'), '--flow', 'token'], EXIT.other, /--flow token needs --id-token/],
      [['device', 'enroll', '--out', dir('x'), '--dev-user', 'alice', '--ciphersuite', '4'], EXIT.other, /--ciphersuite must be one of 1, 2, 3, 7/],
      [['device', 'renew', '--dir', dir('nothing')], EXIT.other, /device\.json does not exist/],
      [
        ['device', 'renew', '--dir', dir('laptop'), '--url', 'http://127.0.0.1:9'],
        EXIT.unreachable,
        /^mlsid: renewal failed: the service at http:\/\/127\.0\.0\.1:9 cannot be reached or failed/,
      ],
      [['cert', 'inspect', dir('nothing.pem')], EXIT.other, /cannot read .*no such file/],
      [
        ['cert', 'inspect', path.join(dir('laptop'), 'device.json')],
        EXIT.other,
        /neither PEM certificates, an MLS x509 Credential nor a DER certificate/,
      ],
      [['device', 'frobnicate'], EXIT.other, /unknown command/],
    ];
    for (const [argv, code, message] of cases) {
      const run = await mlsid(argv);
      expect([argv.join(' '), run.code]).toEqual([argv.join(' '), code]);
      expect(run.err[0]).toMatch(message);
      expect(run.err.join('\n')).not.toMatch(/\n\s+at /);
    }
  });
});
