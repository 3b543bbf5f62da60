import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign, verify, webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { checkCertificationRequest, issueDeviceCertificate } from '#x509-profile';
import { OrgCaService } from '../../apps/identity-service/src/certificates/org-ca.service.js';
import { checkDeviceCsr } from '../../apps/identity-service/src/enrollment/csr-input.js';
import { DeviceCertificationService } from '../../apps/identity-service/src/enrollment/device-certification.service.js';
import { CertificateStatusService } from '../../apps/identity-service/src/certificates/certificate-status.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { AccountDirectory } from '../../apps/identity-service/src/accounts/index.js';
import { DevicesService } from '../../apps/identity-service/src/devices/index.js';
import { deviceKeys } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp } from '../support/test-app.js';
import { benchDatabase, latencyFields, line, percentile, timeEach } from './bench-support.js';

const ISSUE = Number(process.env.BENCH_CERTS ?? 2000);
const CONCURRENCY = 8;
const CSRS = 400;

/** Device CSRs as the client SDK writes them (PEM, subject ignored by the service). */
async function csrs(algorithm: 'Ed25519' | 'P-256'): Promise<string[]> {
  const gen = algorithm === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const signingAlgorithm = algorithm === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  const out: string[] = [];
  for (let i = 0; i < CSRS; i++) {
    const keys = (await webcrypto.subtle.generateKey(gen as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
    const csr = await Pkcs10CertificateRequestGenerator.create({ name: 'CN=mls-device', keys, signingAlgorithm }, webcrypto as unknown as Crypto);
    out.push(csr.toString('pem'));
  }
  return out;
}

const perSecond = (sortedMs: number[]) => Math.round(sortedMs.length / (sortedMs.reduce((x, y) => x + y, 0) / 1000));
/** The rate at the median call: on a machine shared with other load, preempted calls inflate the mean, not this. */
const perSecondAtP50 = (sortedMs: number[]) => Math.round(1000 / percentile(sortedMs, 50));

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
    const half = Math.floor(devices.length / 2);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < half) {
          const id = devices[next++];
          const s = performance.now();
          const issued = await t.dataSource.transaction((m) => authority.certify(m, { orgId: org.id, deviceId: id }));
          latencies.push(performance.now() - s);
          chains.push(issued.chainDer);
        }
      }),
    );
    const certifySeconds = (performance.now() - t0) / 1000;
    const certified = chains.length;
    latencies.sort((a, b) => a - b);
    line(`certify by device id (+ device, account, org reads, c=${CONCURRENCY})`, {
      per_s: Math.round(certified / certifySeconds),
      ...latencyFields(latencies),
    });

    // What enrollment and renewal call, with org, account and device already in hand: the
    // signature, the certificate row, its outbox row and the device's credential date.
    const orgEntity = (await t.app.get(OrgsService).findById(org.id))!;
    const [account] = await t.app.get(AccountDirectory).findByIds(org.id, [accountId]);
    const loaded = await Promise.all(devices.slice(half).map((id) => t.app.get(DevicesService).find(t.dataSource.manager, org.id, id)));
    const issueLatencies: number[] = [];
    let nextLoaded = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (nextLoaded < loaded.length) {
          const device = loaded[nextLoaded++]!;
          const s = performance.now();
          const issued = await t.dataSource.transaction((m) => authority.issue(m, { org: orgEntity, account, device }));
          issueLatencies.push(performance.now() - s);
          chains.push(issued.chainDer);
        }
      }),
    );
    const seconds = (performance.now() - t1) / 1000;
    issueLatencies.sort((a, b) => a - b);
    line(`issuance stored (sign + certificate row + outbox, c=${CONCURRENCY})`, {
      per_s: Math.round(loaded.length / seconds),
      target: 2500,
      ...latencyFields(issueLatencies),
    });

    const key = generateKeyPairSync('ed25519');
    const data = randomBytes(300);
    const sig = sign(null, data, key.privateKey);
    const bareSign = await timeEach(20000, () => sign(null, data, key.privateKey));
    const bareVerify = await timeEach(20000, () => verify(null, data, key.publicKey, sig));
    const rate = (a: number[]) => Math.round(a.length / (a.reduce((x, y) => x + y, 0) / 1000));
    line('bare Ed25519 sign (node:crypto)', { per_s: rate(bareSign), per_s_p50: perSecondAtP50(bareSign) });
    line('bare Ed25519 verify (node:crypto)', { per_s: rate(bareVerify), per_s_p50: perSecondAtP50(bareVerify) });
    line('ratio bare sign / stored issuance', { ratio: rate(bareSign) / (loaded.length / seconds) });

    // CSR → signed certificate without storage: the work `cfssl serve` /sign does (the issue
    // measured cfssl at ≈ 5,500 req/s over HTTP on this machine, P-256 CSRs), and the CSR check
    // alone, each beside the bare node:crypto operations it cannot beat.
    const { ca, template, sign: signTbs } = await t.app.get(OrgCaService).activeIssuer(org.id);
    const orgRow = { slug: 'bench', name: 'Bench' };
    const crl = `https://id.bench.example/pki/bench/crl/${ca.id}.crl`;
    const pairs = { 'P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }), Ed25519: key };
    for (const algorithm of ['Ed25519', 'P-256'] as const) {
      const pool = await csrs(algorithm);
      const suite = algorithm === 'Ed25519' ? 1 : 2;
      const pair = pairs[algorithm];
      const hash = algorithm === 'Ed25519' ? null : 'sha256';
      const signature = sign(hash, data, pair.privateKey);
      const bareKeyVerify = await timeEach(5000, () => verify(hash, data, pair.publicKey, signature));
      const checks = await timeEach(5000, (i) => checkDeviceCsr(pool[i % CSRS], suite));
      const reference = await timeEach(500, (i) => checkCertificationRequest(pool[i % CSRS], { ciphersuite: suite }));
      line(`CSR check (PoP + key type), ${algorithm}`, {
        per_s: perSecond(checks),
        target: 8000,
        per_s_p50: perSecondAtP50(checks),
        of_bare_verify_p50: perSecondAtP50(checks) / perSecondAtP50(bareKeyVerify),
        ...latencyFields(checks),
      });
      line(`  reference path (@peculiar/x509), ${algorithm}`, { per_s: perSecond(reference), per_s_p50: perSecondAtP50(reference) });
      line(`  bare ${algorithm} verify (node:crypto)`, { per_s: perSecond(bareKeyVerify), per_s_p50: perSecondAtP50(bareKeyVerify) });

      const issue = (i: number) =>
        checkDeviceCsr(pool[i % CSRS], suite).then((csr) =>
          template.sign(
            template.device({
              org: orgRow,
              account: { id: `a${i}`, displayName: 'Bench User', email: 'bench@bench.example' },
              device: { id: `d${i}` },
              ciphersuite: suite,
              subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
              crlDistributionPoint: crl,
            }),
            signTbs,
          ),
        );
      const issued = await timeEach(5000, issue);
      const issuer = (await t.app.get(OrgCaService).activeIssuer(org.id)).issuer;
      const referenceIssue = await timeEach(300, async (i) => {
        const csr = await checkCertificationRequest(pool[i % CSRS], { ciphersuite: suite });
        return issueDeviceCertificate({
          org: orgRow,
          account: { id: `a${i}`, displayName: 'Bench User', email: 'bench@bench.example' },
          device: { id: `d${i}` },
          ciphersuite: suite,
          subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
          issuer,
          crlDistributionPoint: crl,
        });
      });
      line(`issuance from CSR, no storage (${algorithm} CSR, ${template.signatureAlgorithm} CA)`, {
        per_s: perSecond(issued),
        target: 5500,
        target_is: 'cfssl',
        per_s_p50: perSecondAtP50(issued),
        of_bare_p50: perSecondAtP50(issued) / (1000 / (percentile(bareKeyVerify, 50) + percentile(bareSign, 50))),
        ...latencyFields(issued),
      });
      line(`  reference path (@peculiar/x509), ${algorithm}`, { per_s: perSecond(referenceIssue), per_s_p50: perSecondAtP50(referenceIssue) });
      line(`  bare ${algorithm} verify + CA sign`, {
        per_s: Math.round(1 / (1 / perSecond(bareKeyVerify) + 1 / rate(bareSign))),
        per_s_p50: Math.round(1000 / (percentile(bareKeyVerify, 50) + percentile(bareSign, 50))),
      });
    }

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
