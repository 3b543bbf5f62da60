import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createCommit, emptyPskIndex, encodeMlsMessage, joinGroup } from 'ts-mls';
import { checkExternalRemoveProposal, createGroupWithExternalSenders } from '#mls';
import { openCheckpoint } from '#tlog';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { KEY_STORE, Pkcs11KeyStore, type KeyStore } from '../../apps/identity-service/src/keys/index.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { enrolledDevice } from '../support/device-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAccount } from '../support/fixtures.js';
import { opensslVerify } from '../support/openssl.js';
import { startService } from '../support/service-process.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, mlsClient, publishedExternalSenders, suite } from '../removals/mls-clients.js';
import { verifierConfig } from '../transparency/kt-support.js';

const enc = new TextEncoder();

/** Runs the built service (`npm run build`) on the token; it must exit at startup. Returns its output. */
async function startFailure(db: TestDatabase, token: SoftHsmToken, env: Record<string, string> = {}): Promise<string> {
  const service = startService({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    KEK: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: 'a'.repeat(40),
    PORT: '0',
    METRICS_PORT: '0',
    SOFTHSM2_CONF: token.conf,
    ...token.env,
    ...env,
  });
  const exit = await Promise.race([service.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 50_000))]);
  if (exit === 'timeout') service.child.kill('SIGKILL');
  expect(exit).toEqual({ code: 1, signal: null });
  return service.output();
}

describe('PKCS#11 KeyStore on SoftHSM2: CA, external-sender and log keys never leave the token', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('refuses to start on a token that cannot hold Ed25519 keys, naming the missing mechanisms', async () => {
    // P-256 and P-384 only, as on HSMs without PKCS#11 3.0 EdDSA: the log keys (Ed25519) cannot live there
    const token = await createSoftHsmToken({ onlyMechanisms: ['CKM_EC_KEY_PAIR_GEN', 'CKM_ECDSA'] });
    try {
      const output = await startFailure(db, token);
      expect(output).toMatch(/cannot hold every key the service needs \(Ed25519: no CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA\); refusing to start/);
      expect(output).not.toContain(token.pin);
    } finally {
      await token.dispose();
    }
  }, 60_000);

  it('refuses a wrong PIN and an unknown token without echoing the PIN', async () => {
    const token = await createSoftHsmToken();
    try {
      const wrong = await startFailure(db, token, { PKCS11_PIN: 'not-the-pin-4711' });
      expect(wrong).toMatch(/PKCS#11 login to token "mlsid-[0-9a-f]+" .* failed: incorrect PIN/);
      expect(wrong).not.toContain('not-the-pin-4711');
      const unknown = await startFailure(db, token, { PKCS11_TOKEN_LABEL: 'elsewhere' });
      expect(unknown).toMatch(/no PKCS#11 token labelled "elsewhere"/);
    } finally {
      await token.dispose();
    }
  }, 120_000);

  describe('a service on the token', () => {
    let token: SoftHsmToken;
    let t: TestApp;
    let orgId: string;
    let accountId: string;

    beforeAll(async () => {
      token = await createSoftHsmToken();
      t = await createTestApp({ db, env: token.env });
      orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme Corp')).id;
      accountId = await insertAccount(t.dataSource, orgId, 'alice@acme.example');
    });
    afterAll(async () => {
      await t.close();
      await token.dispose();
    });

    const bundle = async (app: TestApp) => ({
      root: (await call(app.url, 'GET', '/pki/acme/roots.pem')).text,
      untrusted: (await call(app.url, 'GET', '/pki/acme/intermediates.pem')).text,
    });

    async function orgKeys(app: TestApp): Promise<{ id: string; purpose: string; custody: string; sealed: boolean }[]> {
      return app.dataSource.query(
        `SELECT id, purpose, custody, private_key_sealed IS NOT NULL AS sealed FROM custody_key WHERE org_id = $1 ORDER BY created_at`,
        [orgId],
      );
    }

    it.each([
      ['Ed25519', 1],
      ['P-256', 2],
      ['P-384', 7],
    ])('issues %s device certificates with the token-held intermediate; openssl verifies the chain', async (_name, ciphersuite) => {
      const { chain } = await enrolledDevice(t.app, orgId, accountId, ciphersuite);
      const verdict = await opensslVerify({ ...(await bundle(t)), leaf: chain.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0] });
      expect(verdict.output).toContain(': OK');
    });

    it('signs external Removes with token keys; receivers verify them with the published key', async () => {
      const org = (await t.app.get(OrgsService).findById(orgId))!;
      const ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'ds', null)).token);
      const externalSenders = await publishedExternalSenders(t.url, 'acme');
      const cs = await suite();
      const alice = await mlsClient(t.app, orgId, accountId, 'alice');
      const bobAccount = await insertAccount(t.dataSource, orgId, 'bob@acme.example');
      const bob = await mlsClient(t.app, orgId, bobAccount, 'bob');
      const created = await createGroupWithExternalSenders(enc.encode('room'), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
      expect((await ds.report(created)).status).toBe(200);
      const added = await createCommit(
        { state: created, cipherSuite: cs },
        { extraProposals: [{ proposalType: 'add', add: { keyPackage: bob.publicPackage } }], ratchetTreeExtension: true, wireAsPublicMessage: true },
      );
      await joinGroup(added.welcome!, bob.publicPackage, bob.privatePackage, emptyPskIndex, cs);
      await ds.authorize(created, encodeMlsMessage(added.commit));
      expect((await ds.report(added.newState)).body).toMatchObject({ epoch: '1', externalSenderListed: true });

      await t.app.get(DeviceRevocationService).revokeDevice('test', orgId, bob.deviceId, 'keyCompromise');
      const removal = await until(async () => (await ds.feed('0')).body.removals[0], 5000, 'the Remove in the feed');
      const verdict = await checkExternalRemoveProposal(new Uint8Array(Buffer.from(removal.proposal, 'base64')), added.newState);
      expect(verdict).toMatchObject({ accepted: true, removedLeafIndex: 1 });
    });

    it('signs KT checkpoints with the token-held log key', async () => {
      const config = await verifierConfig(t, 'acme');
      await until(
        async () => (Number((await call(t.url, 'GET', '/kt/acme/checkpoint', { token: t.adminToken })).text.split('\n')[1]) > 0 ? true : undefined),
        5000,
        'a checkpoint',
      );
      const res = await call(t.url, 'GET', '/kt/acme/checkpoint', { token: t.adminToken });
      expect(openCheckpoint(res.text, config.verifiers, config.origin).checkpoint.size).toBeGreaterThan(0);
    });

    it('keeps only public keys in the database; the token will not reveal any private key', async () => {
      const keys = await orgKeys(t);
      expect(new Set(keys.map((k) => k.purpose))).toEqual(
        new Set([
          'ca-root',
          'ca-intermediate',
          'kt-log',
          'mls-external-sender:1',
          'mls-external-sender:2',
          'mls-external-sender:3',
          'mls-external-sender:7',
        ]),
      );
      expect(keys.every((k) => k.custody === 'pkcs11' && !k.sealed)).toBe(true);
      const store = t.app.get<KeyStore>(KEY_STORE);
      expect(store).toBeInstanceOf(Pkcs11KeyStore);
      for (const key of keys) {
        expect(await (store as Pkcs11KeyStore).token.attributes(key.id)).toEqual({
          sensitive: true,
          extractable: false,
          alwaysSensitive: true,
          neverExtractable: true,
          valueReadable: false,
        });
      }
      // the key handed to certificate code is no WebCrypto key: nothing there to export
      const intermediate = keys.find((k) => k.purpose === 'ca-intermediate')!;
      const cryptoKey = await store.signingCryptoKey(intermediate.id);
      expect(cryptoKey.extractable).toBe(false);
      await expect(globalThis.crypto.subtle.exportKey('pkcs8', cryptoKey)).rejects.toThrow();
      // and signatures verify with the stored public key (DER ECDSA for X.509 and MLS)
      const p256 = keys.find((k) => k.purpose === 'mls-external-sender:2')!;
      const handle = await store.get(p256.id);
      const signature = await store.sign(p256.id, enc.encode('hello'));
      expect(
        verify('sha256', enc.encode('hello'), createPublicKey({ key: Buffer.from(handle.publicKey), format: 'der', type: 'spki' }), signature),
      ).toBe(true);
    });

    it('keeps working after a restart: same keys, new certificates and checkpoints verify', async () => {
      const before = await orgKeys(t);
      const rootBefore = (await bundle(t)).root;
      const senderBefore = (await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders')).body.externalSenders;
      await t.close();
      t = await createTestApp({ db, env: token.env });
      expect(await orgKeys(t)).toEqual(before);
      expect((await bundle(t)).root).toBe(rootBefore);
      expect((await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders')).body.externalSenders).toEqual(senderBefore);
      // the log size before the new certificate's entry, which may be sequenced within milliseconds
      const config = await verifierConfig(t, 'acme');
      const sizeBefore = Number((await call(t.url, 'GET', '/kt/acme/checkpoint', { token: t.adminToken })).text.split('\n')[1]);
      const { chain } = await enrolledDevice(t.app, orgId, accountId, 2);
      expect((await opensslVerify({ ...(await bundle(t)), leaf: chain.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0] })).ok).toBe(true);
      const grown = await until(
        async () => {
          const res = await call(t.url, 'GET', '/kt/acme/checkpoint', { token: t.adminToken });
          return Number(res.text.split('\n')[1]) > sizeBefore ? res.text : undefined;
        },
        5000,
        'a checkpoint signed after the restart',
      );
      expect(openCheckpoint(grown, config.verifiers, config.origin).checkpoint.size).toBeGreaterThan(sizeBefore);
    });
  });
});
