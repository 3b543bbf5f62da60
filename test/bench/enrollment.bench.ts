import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { loadConfig } from '../../apps/identity-service/src/config/app-config.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { keyBoundNonce } from '#protocol';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { checkDeviceCsr } from '../../apps/identity-service/src/enrollment/csr-input.js';
import { IdTokenAuthenticator } from '../../apps/identity-service/src/enrollment/oidc/id-token-authenticator.js';
import { benchDatabase, latencyFields, line, percentile, timeEach } from './bench-support.js';

/**
 * Enrollment completions per second (native flow: ID token validation with a warm JWKS
 * cache, policy, account lock, device row, certificate issuance in custody, KT and audit
 * rows, one transaction) over HTTP, with p50/p99. The IdP is a minimal discovery + JWKS
 * server: only the service's side is measured, and device-side work (key generation, CSR,
 * the IdP signing the token) is done before the clock starts.
 */
const DEVICES = 600;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ACCOUNTS = 50;

async function minimalIdp(): Promise<{ issuer: string; sign(claims: Record<string, unknown>): Promise<string>; close(): Promise<void> }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (req.url === '/jwks') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    issuer,
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function deviceRequest(issuer: string, user: number): Promise<string> {
  const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'Ed25519' } }, crypto);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    aud: 'bench-app',
    sub: `00ubench${user}`,
    email: `user${user}@bench.example`,
    // The accounts exist already and are matched by verified email (matchByVerifiedEmail).
    email_verified: true,
    preferred_username: `user${user}@bench.example`,
    amr: ['pwd', 'mfa'],
    nonce: keyBoundNonce(spki),
    jti: randomUUID(),
    iat: now,
    exp: now + 600,
  };
  return JSON.stringify({ csr: csr.toString('pem'), deviceName: 'bench', platform: 'linux', ciphersuite: 1, claims });
}

export default async function bench(): Promise<void> {
  const db = await benchDatabase();
  const idp = await minimalIdp();
  await runMigrations(db.url);
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    KEK: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PORT: '0',
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '60000',
    // Any free port: a service already running on this machine may hold the default one.
    METRICS_PORT: '0',
    // One load generator on 127.0.0.1: the limits are counted (their cost is measured) but never reached.
    ENROLLMENT_STARTS_PER_IP_PER_MINUTE: '1000000',
    ENROLLMENT_STARTS_PER_ORG_PER_MINUTE: '1000000',
  });
  const app = await createApp(config, db.url);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  try {
    const orgs = app.get(OrgsService);
    const org = await orgs.create('bench', 'bench', 'Bench');
    await orgs.addIdpConnection('bench', org, { name: 'okta', kind: 'okta', issuer: idp.issuer, clientId: 'bench-app', matchByVerifiedEmail: true });
    const ds = app.get((await import('typeorm')).DataSource);
    await ds.query(`UPDATE org SET settings = '{"enrollment":{"maxActiveDevicesPerAccount":1000}}' WHERE id = $1`, [org.id]);
    for (let u = 0; u < ACCOUNTS; u++) {
      await ds.query(`INSERT INTO account (org_id, user_name, email) VALUES ($1, $2, $2)`, [org.id, `user${u}@bench.example`]);
    }

    const prepared: string[] = [];
    for (let i = 0; i < DEVICES + CONCURRENCY; i++) prepared.push(await deviceRequest(idp.issuer, i % ACCOUNTS));
    const bodies = await Promise.all(
      prepared.map(async (p) => {
        const { claims, ...rest } = JSON.parse(p) as { claims: Record<string, unknown> };
        return JSON.stringify({ ...rest, idToken: await idp.sign(claims) });
      }),
    );
    const enroll = async (body: string) => {
      const res = await fetch(`${url}/v1/orgs/bench/enrollments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${text}`);
    };

    // Warm-up: discovery and JWKS fetched and cached, connections pooled, code paths compiled.
    await Promise.all(bodies.slice(0, CONCURRENCY).map(enroll));
    const timed = bodies.slice(CONCURRENCY);
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < timed.length) {
          const body = timed[next++];
          const s = performance.now();
          await enroll(body);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    line(`enrollment (native, warm JWKS, c=${CONCURRENCY})`, {
      n: timed.length,
      per_s: Math.round(timed.length / seconds),
      ...latencyFields(latencies),
    });
    line('target', { per_s: 300, ratio_achieved: timed.length / seconds / 300 });

    // The share of token validation alone (warm JWKS cache, in process, no database).
    const authenticator = app.get(IdTokenAuthenticator);
    const connection = (await orgs.listIdpConnections(org.id))[0];
    const samples = await Promise.all(
      prepared.slice(0, 200).map(async (p) => {
        const { claims, csr } = JSON.parse(p) as { claims: Record<string, unknown>; csr: string };
        return { token: await idp.sign(claims), csr };
      }),
    );
    const spkis = await Promise.all(samples.map(async (x) => (await checkDeviceCsr(x.csr, 1)).subjectPublicKeyInfo));
    const validation = await timeEach(samples.length, (i) => authenticator.authenticateWith(connection, samples[i].token, spkis[i]));
    const csrChecks = await timeEach(samples.length, (i) => checkDeviceCsr(samples[i].csr, 1));
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    line('ID token validation alone (warm JWKS)', { per_s: Math.round(samples.length / (sum(validation) / 1000)), ...latencyFields(validation) });
    line('CSR check alone (PoP, key type)', { per_s: Math.round(samples.length / (sum(csrChecks) / 1000)), ...latencyFields(csrChecks) });
    line('ratio enrollment p50 / validation p50', { ratio: percentile(latencies, 50) / percentile(validation, 50) });
  } finally {
    await app.close();
    await idp.close();
    await db.drop();
  }
}
