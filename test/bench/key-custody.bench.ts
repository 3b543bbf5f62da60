import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/identity-service/src/database/data-source-options.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { CustodyKey } from '../../apps/identity-service/src/keys/custody-key.entity.js';
import { DatabaseKeyStore } from '../../apps/identity-service/src/keys/database-key-store.js';
import { SecretBox } from '../../apps/identity-service/src/keys/secret-box.js';
import { benchDatabase, latencyFields, line, timeEach } from './bench-support.js';

/** KeyStore.sign against a bare node:crypto Ed25519 signature: the price of custody. */
export default async function bench(): Promise<void> {
  const db = await benchDatabase();
  await runMigrations(db.url);
  const ds = new DataSource(dataSourceOptions(db.url, 4, [CustodyKey]));
  await ds.initialize();
  try {
    const store = new DatabaseKeyStore(ds, new SecretBox(randomBytes(32)));
    const key = await store.generate(null, 'bench', 'Ed25519');
    const data = randomBytes(200);
    const bare = generateKeyPairSync('ed25519').privateKey;
    const n = 20000;
    await store.sign(key.id, data);
    const bareT = await timeEach(n, () => sign(null, data, bare));
    const storeT = await timeEach(n, () => store.sign(key.id, data));
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    line('ed25519 bare node:crypto sign', { per_s: Math.round(n / (sum(bareT) / 1000)), ...latencyFields(bareT) });
    line('ed25519 KeyStore.sign (cached unseal)', { per_s: Math.round(n / (sum(storeT) / 1000)), ...latencyFields(storeT) });
    line('ratio KeyStore/bare', { ratio: sum(storeT) / sum(bareT) });
  } finally {
    await ds.destroy();
    await db.drop();
  }
}
