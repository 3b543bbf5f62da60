import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { DeviceCertificationService } from '../../apps/identity-service/src/enrollment/device-certification.service.js';
import { CertificateStatusService } from '../../apps/identity-service/src/certificates/certificate-status.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { deviceKeys } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp } from '../support/test-app.js';
import { benchDatabase, latencyFields, line, timeEach } from './bench-support.js';

const ISSUE = Number(process.env.BENCH_CERTS ?? 2000);
const CONCURRENCY = 8;

/** Issuance and status checks, the device CA's hot paths, against bare Ed25519 costs. */
export default async function bench(): Promise<void> {
  const db = await benchDatabase();
  const t = await createTestApp({ db, env: { OUTBOX_WORKER: 'off' } });
  try {
    const org = await t.app.get(OrgsService).create('bench', 'bench', 'Bench');
    const accountId = await insertAccount(t.dataSource, org.id, 'bench@bench.example');
    const authority = t.app.get(DeviceCertificationService);

    // Devices (keys and rows) are made up front: the benchmark times issuance only.
    const devices: string[] = [];
    for (let i = 0; i < ISSUE; i++) {
      const k = await deviceKeys(1);
      const [row] = await t.dataSource.query(
        `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
         VALUES ($1, $2, 'b', 'linux', 1, $3, $4) RETURNING id`,
        [org.id, accountId, Buffer.from(k.spki), randomBytes(32)],
      );
      devices.push(row.id);
    }
    await t.dataSource.transaction((m) => authority.certify(m, { orgId: org.id, deviceId: devices[0] }));

    const chains: Uint8Array[][] = [];
    const latencies: number[] = [];
    let next = 1;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < devices.length) {
          const id = devices[next++];
          const s = performance.now();
          const issued = await t.dataSource.transaction((m) => authority.certify(m, { orgId: org.id, deviceId: id }));
          latencies.push(performance.now() - s);
          chains.push(issued.chainDer);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    line('issue device certificate (Ed25519, DB + outbox)', { per_s: Math.round(chains.length / seconds), target: 500, ...latencyFields(latencies) });

    const key = generateKeyPairSync('ed25519');
    const data = randomBytes(300);
    const sig = sign(null, data, key.privateKey);
    const bareSign = await timeEach(20000, () => sign(null, data, key.privateKey));
    const bareVerify = await timeEach(20000, () => verify(null, data, key.publicKey, sig));
    const rate = (a: number[]) => Math.round(a.length / (a.reduce((x, y) => x + y, 0) / 1000));
    line('bare Ed25519 sign (node:crypto)', { per_s: rate(bareSign) });
    line('bare Ed25519 verify (node:crypto)', { per_s: rate(bareVerify) });
    line('ratio issuance / bare sign', { ratio: rate(bareSign) / (chains.length / seconds) });

    const status = t.app.get(CertificateStatusService);
    const one = chains.slice(0, 1000);
    await status.check(
      org.id,
      one.map((chain) => ({ chain })),
    );
    const single = await timeEach(20000, (i) => status.check(org.id, [{ chain: one[i % one.length] }]));
    line('status check, 1 chain/call, warm cache', { checks_per_s: rate(single), target: 10000, ...latencyFields(single) });
    const batch = await timeEach(50, () =>
      status.check(
        org.id,
        one.map((chain) => ({ chain })),
      ),
    );
    line('status check, 1000 chains/call, warm cache', {
      checks_per_s: Math.round((1000 * batch.length) / (batch.reduce((x, y) => x + y, 0) / 1000)),
      ...latencyFields(batch),
    });
    status.forgetOrg(org.id);
    const cold = await timeEach(5, async () => {
      status.forgetOrg(org.id);
      await status.check(
        org.id,
        one.map((chain) => ({ chain })),
      );
    });
    line('status check, 1000 chains/call, cold cache', {
      checks_per_s: Math.round((1000 * cold.length) / (cold.reduce((x, y) => x + y, 0) / 1000)),
      ...latencyFields(cold),
    });
    const ds = (await call(t.url, 'POST', '/v1/admin/orgs/bench/ds-clients', { token: t.adminToken, body: { name: 'b' } })).body.token;
    const body = { chains: one.map((c) => c.map((d) => Buffer.from(d).toString('base64'))) };
    const http = await timeEach(20, () => call(t.url, 'POST', '/v1/certificates/status', { token: ds, body }));
    line('status over HTTP, 1000 chains/request', {
      checks_per_s: Math.round((1000 * http.length) / (http.reduce((x, y) => x + y, 0) / 1000)),
      ...latencyFields(http),
    });
    line('ratio warm status check / bare verify', { ratio: rate(single) / rate(bareVerify) });
  } finally {
    await t.close();
    await db.drop();
  }
}
