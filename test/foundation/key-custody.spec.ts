import { createPublicKey, randomBytes, verify, webcrypto } from 'node:crypto';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { CustodyKey } from '../../apps/identity-service/src/keys/custody-key.entity.js';
import { DatabaseKeyStore } from '../../apps/identity-service/src/keys/database-key-store.js';
import { KeyRetiredError, SealedDataError } from '../../apps/identity-service/src/keys/keys.errors.js';
import { SecretBox } from '../../apps/identity-service/src/keys/secret-box.js';
import { dataSourceOptions } from '../../apps/identity-service/src/database/data-source-options.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { call, createTestApp } from '../support/test-app.js';

describe('KeyStore: keys in custody, sealed under the KEK', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const kek = randomBytes(32);

  beforeAll(async () => {
    db = await createTestDatabase();
    await runMigrations(db.url);
    ds = new DataSource(dataSourceOptions(db.url, 4, [CustodyKey]));
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it.each([
    ['Ed25519', null],
    ['ECDSA-P256', 'sha256'],
    ['ECDSA-P384', 'sha384'],
  ] as const)('generates, signs and verifies with %s', async (algorithm, hash) => {
    const store = new DatabaseKeyStore(ds, new SecretBox(kek));
    const key = await store.generate(null, 'test', algorithm);
    const data = Buffer.from('message to sign');
    const sig = await store.sign(key.id, data);
    const pub = createPublicKey({ key: Buffer.from(key.publicKey), format: 'der', type: 'spki' });
    expect(verify(hash, data, pub, sig)).toBe(true);
    expect(verify(hash, Buffer.from('other'), pub, sig)).toBe(false);
    // The CryptoKey handed to certificate code signs, but WebCrypto refuses to export it.
    const cryptoKey = await store.signingCryptoKey(key.id);
    expect(cryptoKey.extractable).toBe(false);
    await expect(webcrypto.subtle.exportKey('pkcs8', cryptoKey)).rejects.toThrow();
    // A fresh store (another replica) with the same KEK can use the key.
    const other = new DatabaseKeyStore(ds, new SecretBox(kek));
    expect(verify(hash, data, pub, await other.sign(key.id, data))).toBe(true);
  });

  it('keeps only sealed private keys in the database', async () => {
    const store = new DatabaseKeyStore(ds, new SecretBox(kek));
    const key = await store.generate(null, 'sealed', 'Ed25519');
    const [row] = await ds.query('SELECT private_key_sealed FROM custody_key WHERE id = $1', [key.id]);
    const pkcs8 = new SecretBox(kek).open(row.private_key_sealed, `custody_key:${key.id}`);
    expect(Buffer.from(row.private_key_sealed).includes(pkcs8.subarray(16))).toBe(false);
    // A wrong KEK cannot open it, and neither can a copy pasted onto another key's row.
    const wrong = new DatabaseKeyStore(ds, new SecretBox(randomBytes(32)));
    await expect(wrong.sign(key.id, Buffer.from('x'))).rejects.toBeInstanceOf(SealedDataError);
    const victim = await store.generate(null, 'sealed', 'Ed25519');
    await ds.query('UPDATE custody_key SET private_key_sealed = $1 WHERE id = $2', [row.private_key_sealed, victim.id]);
    const fresh = new DatabaseKeyStore(ds, new SecretBox(kek));
    await expect(fresh.sign(victim.id, Buffer.from('x'))).rejects.toBeInstanceOf(SealedDataError);
  });

  it('refuses to sign with a retired key and lists keys by org and purpose', async () => {
    const store = new DatabaseKeyStore(ds, new SecretBox(kek));
    const a = await store.generate(null, 'rotating', 'ECDSA-P256');
    const b = await store.generate(null, 'rotating', 'ECDSA-P256');
    await store.sign(a.id, Buffer.from('warm the cache'));
    await store.retire(a.id);
    await expect(store.sign(a.id, Buffer.from('x'))).rejects.toBeInstanceOf(KeyRetiredError);
    const listed = await store.list(null, 'rotating');
    expect(listed.map((k) => [k.id, k.status])).toEqual([
      [a.id, 'retired'],
      [b.id, 'active'],
    ]);
  });

  it('never lets private key material reach logs, errors or responses', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const originalWrite = process.stdout.write.bind(process.stdout);
    (process.stdout as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
      sink.write(String(chunk));
      void rest;
      return true;
    };
    const t = await createTestApp({ env: { LOG_LEVEL: 'trace' } });
    try {
      const store = new DatabaseKeyStore(t.dataSource, new SecretBox(t.config.kek!));
      const key = await store.generate(null, 'leak-check', 'Ed25519');
      await store.sign(key.id, Buffer.from('x'));
      const [row] = await t.dataSource.query('SELECT private_key_sealed FROM custody_key WHERE id = $1', [key.id]);
      const pkcs8 = new SecretBox(t.config.kek!).open(row.private_key_sealed, `custody_key:${key.id}`);
      const raw = pkcs8.subarray(pkcs8.length - 32);
      await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'leaky', name: 'L' } });
      const responses = [
        await call(t.url, 'GET', '/v1/admin/orgs', { token: t.adminToken }),
        await call(t.metricsUrl, 'GET', '/metrics'),
        await call(t.url, 'GET', '/v1/admin/orgs/leaky/audit-events', { token: t.adminToken }),
      ];
      const error = await new DatabaseKeyStore(t.dataSource, new SecretBox(randomBytes(32)))
        .sign(key.id, Buffer.from('x'))
        .catch((e: Error) => `${e.message} ${e.stack}`);
      const haystacks = [logged, error as string, ...responses.map((r) => r.text)];
      for (const encoding of ['base64', 'base64url', 'hex'] as const) {
        for (const h of haystacks) {
          expect(h).not.toContain(raw.toString(encoding));
          expect(h).not.toContain(pkcs8.toString(encoding));
        }
      }
      expect(logged).not.toContain('PRIVATE KEY');
      expect(logged).not.toContain(t.adminToken);
      expect(logged).toContain('request completed');
    } finally {
      (process.stdout as { write: unknown }).write = originalWrite;
      await t.close();
    }
  });
});
