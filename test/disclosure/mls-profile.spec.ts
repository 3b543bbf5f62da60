import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalJson, MlsProfileMismatch, openMlsProfile } from '#protocol';
import { NoteUnverified, parseVerifierKey } from '#tlog';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { mlsid } from '../transparency/kt-support.js';

describe('MLS profile disclosure: GET /.well-known/mls-identity/:org, signed by the log key', () => {
  let t: TestApp;
  let dir: string;
  const fetchProfile = async (org = 'acme') => call(t.url, 'GET', `/.well-known/mls-identity/${org}`);
  const logKeys = async () =>
    (await call(t.url, 'GET', '/kt/acme/key', { token: t.adminToken })).text
      .trim()
      .split('\n')
      .filter((l) => l);

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'error' } });
    const orgs = t.app.get(OrgsService);
    await orgs.create('test', 'acme', 'Acme');
    await orgs.create('test', 'globex', 'Globex');
    dir = await mkdtemp(path.join(tmpdir(), 'mls-profile-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes the profile from the org configuration, signed by its log key, without a token', async () => {
    // configuration, not constants: change it and the profile follows
    const patched = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: {
        settings: {
          certificates: { lifetimeDays: 5, reauthenticateAfterDays: 30 },
          removals: { overdueAfterMinutes: 3 },
          groups: { membershipPolicy: 'admins-only' },
        },
      },
    });
    expect(patched.status).toBe(200);
    const res = await fetchProfile();
    expect([res.status, res.body?.detail]).toEqual([200, undefined]);
    const { profile, signedNote } = res.body;
    const [key] = await logKeys();
    expect(profile).toMatchObject({
      org: 'acme',
      mls: { version: 'mls10', implementation: { library: 'ts-mls', version: '1.6.4' }, externalProposals: ['remove', 'group_context_extensions'] },
      credentials: { type: 'x509', caAlgorithm: 'Ed25519' },
      certificates: { lifetimeDays: 5, reauthenticateAfterDays: 30, expiredDeviceGraceDays: 14 },
      reauthentication: { afterDays: 30 },
      removals: { overdueAfterMinutes: 3, reportStaleAfterMinutes: 10 },
      membership: { defaultPolicy: 'admins-only' },
      transparency: { origin: parseVerifierKey(key!).name, verifierKeys: [key] },
    });
    expect(profile.mls.cipherSuites).toContainEqual({ code: 1, name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' });
    expect(profile.mls.knownDeviations.map((d: { id: string }) => d.id)).toContain('external-senders-list-form');
    // the published external senders are the ones in the profile
    const senders = (await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders')).body.externalSenders;
    expect(profile.mls.externalSenders.map((s: { signatureKey: string }) => s.signatureKey).sort()).toEqual(
      senders.map((s: { signatureKey: string }) => s.signatureKey).sort(),
    );
    expect(openMlsProfile(signedNote, profile, [parseVerifierKey(key!)]).profile).toEqual(profile);
    expect(signedNote.split('\n')[2]).toBe(canonicalJson(profile));

    expect((await mlsid(['profile', 'verify', 'acme', '--url', t.url, '--key', key!], dir)).code).toBe(0);
    const selfChecked = await mlsid(['profile', 'verify', 'acme', '--url', t.url], dir);
    expect(selfChecked.code).toBe(0);
    expect(selfChecked.err).toContain('no --key');
  });

  it('refuses a tampered body, another log key, and another org', async () => {
    const { profile, signedNote } = (await fetchProfile()).body;
    const [key] = await logKeys();
    const tampered = { ...profile, removals: { ...profile.removals, overdueAfterMinutes: 1 } };
    expect(() => openMlsProfile(signedNote, tampered, [parseVerifierKey(key!)])).toThrow(MlsProfileMismatch);
    const globexKey = (await call(t.url, 'GET', '/kt/globex/key', { token: t.adminToken })).text.trim();
    expect(() => openMlsProfile(signedNote, profile, [parseVerifierKey(globexKey)])).toThrow(NoteUnverified);
    // the CLI: signature or body mismatch is exit code 3 (bad signature)
    expect((await mlsid(['profile', 'verify', 'acme', '--url', t.url, '--key', globexKey], dir)).code).toBe(3);
    expect((await fetchProfile('nope')).status).toBe(404);
  });

  it('after a log key rotation: signed by both keys during the overlap, by the new one after it', async () => {
    const [oldKey] = await logKeys();
    const rotated = await call(t.url, 'POST', '/v1/admin/orgs/acme/transparency/key/rotate', { token: t.adminToken, body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.newKey as string;
    const during = (await fetchProfile()).body;
    expect(during.profile.transparency.verifierKeys).toEqual([oldKey, newKey]);
    for (const k of [oldKey!, newKey]) expect(openMlsProfile(during.signedNote, during.profile, [parseVerifierKey(k)]).origin).toBeTruthy();

    await call(t.url, 'POST', '/v1/admin/orgs/acme/transparency/key/rotate/finish', { token: t.adminToken });
    const after = (await fetchProfile()).body;
    expect(after.profile.transparency.verifierKeys).toEqual([newKey]);
    expect(openMlsProfile(after.signedNote, after.profile, [parseVerifierKey(newKey)]).origin).toBeTruthy();
    expect(() => openMlsProfile(after.signedNote, after.profile, [parseVerifierKey(oldKey!)])).toThrow(NoteUnverified);
    expect((await mlsid(['profile', 'verify', 'acme', '--url', t.url, '--key', newKey], dir)).code).toBe(0);
    expect((await mlsid(['profile', 'verify', 'acme', '--url', t.url, '--key', oldKey!], dir)).code).toBe(3);
  });
});
