import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { loadConfig } from '../../apps/identity-service/src/config/app-config.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { benchDatabase, latencyFields, line } from './bench-support.js';

/**
 * SCIM provisioning through HTTP, as the IdPs drive it: an initial import of users and
 * groups (Entra: one request at a time; Okta: 8 concurrent clients), single-request
 * latencies on the loaded store, and the deactivation of a user with 5 devices (every
 * revocation and outbox write included). Sizes: SCIM_BENCH_USERS (default 10,000) and
 * SCIM_BENCH_GROUPS (default 200); the import is extrapolated linearly to the issue's
 * target of 100,000 users and 2,000 groups in 2 minutes.
 */
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MEMBERS_PER_PATCH = 50;

type Client = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; ms: number }>;

function client(base: string, token: string): Client {
  return async (method, path, body) => {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return { status: res.status, body: text ? JSON.parse(text) : undefined, ms };
  };
}

/** Runs `count` jobs on `workers` concurrent loops; returns per-job latencies (sorted) and wall time. */
async function pool(count: number, workers: number, job: (i: number) => Promise<number>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(workers, count) }, async () => {
      for (let i = next++; i < count; i = next++) latencies.push(await job(i));
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - t0) / 1000 };
}

function oktaUser(org: string, i: number) {
  const userName = `user${i}@${org}.example`;
  return {
    schemas: [CORE_USER],
    userName,
    externalId: `00u${i.toString(36).padStart(8, '0')}`,
    name: { givenName: `Given${i}`, familyName: `Family${i % 997}` },
    displayName: `Given${i} Family${i % 997}`,
    emails: [{ primary: true, type: 'work', value: userName }],
    active: true,
  };
}

async function importOrg(app: INestApplication, url: string, slug: string, users: number, groups: number, workers: number, label: string) {
  const org = await app.get(OrgsService).create('bench', slug, slug);
  const { token } = await app.get(CredentialsService).createScimToken('bench', org, 'bench');
  const call = client(`${url}/scim/v2/${slug}`, token);
  const ids: string[] = new Array(users);
  const userPhase = await pool(users, workers, async (i) => {
    const r = await call('POST', '/Users', oktaUser(slug, i));
    ids[i] = r.body.id;
    return r.ms;
  });
  const groupIds: string[] = new Array(groups);
  const groupPhase = await pool(groups, workers, async (g) => {
    const r = await call('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `Group ${g}`, externalId: `grp-${g}`, members: [] });
    groupIds[g] = r.body.id;
    return r.ms;
  });
  // Member pushes: user i joins group i % groups, MEMBERS_PER_PATCH per request.
  const batches: { group: string; members: string[] }[] = [];
  for (let g = 0; g < groups; g++) {
    const members = ids.filter((_, i) => i % groups === g);
    for (let k = 0; k < members.length; k += MEMBERS_PER_PATCH)
      batches.push({ group: groupIds[g], members: members.slice(k, k + MEMBERS_PER_PATCH) });
  }
  const memberPhase = await pool(batches.length, workers, async (b) => {
    const { group, members } = batches[b];
    const r = await call('PATCH', `/Groups/${group}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }],
    });
    return r.ms;
  });
  const total = userPhase.seconds + groupPhase.seconds + memberPhase.seconds;
  // Linear extrapolation: user creations scale with users, group creations with groups,
  // member pushes with users (every user is in one group).
  const projected = userPhase.seconds * (100_000 / users) + groupPhase.seconds * (2_000 / groups) + memberPhase.seconds * (100_000 / users);
  line(`import ${label} users`, { n: users, users_per_s: Math.round(users / userPhase.seconds), ...latencyFields(userPhase.latencies) });
  line(`import ${label} groups`, { n: groups, groups_per_s: Math.round(groups / groupPhase.seconds), ...latencyFields(groupPhase.latencies) });
  line(`import ${label} member pushes`, { n: batches.length, per_request: MEMBERS_PER_PATCH, ...latencyFields(memberPhase.latencies) });
  line(`import ${label} total`, { seconds: total, projected_100k_2k_s: projected, target_s: 120, ratio_to_target: projected / 120 });
  return { call, ids, slug };
}

async function insertDevices(ds: DataSource, orgId: string, accountId: string, n: number): Promise<void> {
  const [ca] = await ds.query(`SELECT id FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`, [orgId]);
  for (let i = 0; i < n; i++) {
    const key = randomBytes(44);
    const [device] = await ds.query(
      `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
       VALUES ($1, $2, 'phone', 'ios', 1, $3, $4) RETURNING id`,
      [orgId, accountId, key, createHash('sha256').update(key).digest()],
    );
    const der = randomBytes(300);
    await ds.query(
      `INSERT INTO certificate (org_id, device_id, ca_id, serial, der, sha256, subject_key_sha256, not_before, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + interval '7 days')`,
      [
        orgId,
        device.id,
        ca.id,
        randomBytes(16).toString('hex'),
        der,
        createHash('sha256').update(der).digest(),
        createHash('sha256').update(key).digest(),
      ],
    );
  }
}

export default async function bench(): Promise<void> {
  const users = Number(process.env.SCIM_BENCH_USERS ?? 10_000);
  const groups = Number(process.env.SCIM_BENCH_GROUPS ?? 200);
  const db = await benchDatabase();
  await runMigrations(db.url);
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    KEK: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const app = await createApp(config, db.url);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const ds = app.get<DataSource>(getDataSourceToken());
  try {
    await importOrg(app, url, 'bench-seq', users, groups, 1, 'sequential (Entra)');
    const { call, ids, slug } = await importOrg(app, url, 'bench-okta', users, groups, 8, '8 clients (Okta)');

    const n = 1000;
    const pick = (i: number) => ids[(i * 7919) % ids.length];
    const get = await pool(n, 1, async (i) => (await call('GET', `/Users/${pick(i)}`)).ms);
    const filter = await pool(
      n,
      1,
      async (i) => (await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "user${(i * 7919) % ids.length}@${slug}.example"`)}`)).ms,
    );
    const page = await pool(200, 1, async (i) => (await call('GET', `/Users?startIndex=${1 + i * 50}&count=100`)).ms);
    const patch = await pool(
      n,
      1,
      async (i) =>
        (
          await call('PATCH', `/Users/${pick(i)}`, {
            schemas: [PATCH_OP],
            Operations: [{ op: 'replace', path: 'displayName', value: `Renamed ${i}` }],
          })
        ).ms,
    );
    line('GET /Users/{id}', { n, ...latencyFields(get.latencies), target_p99_ms: 25 });
    line('GET /Users?filter=userName eq', { n, ...latencyFields(filter.latencies), target_p99_ms: 25 });
    line('GET /Users page of 100', { n: 200, ...latencyFields(page.latencies) });
    line('PATCH /Users/{id} displayName', { n, ...latencyFields(patch.latencies), target_p99_ms: 25 });

    const [{ id: orgId }] = await ds.query('SELECT id FROM org WHERE slug = $1', [slug]);
    const victims = ids.slice(0, 200);
    for (const id of victims) await insertDevices(ds, orgId, id, 5);
    const deactivation = await pool(victims.length, 1, async (i) => {
      const r = await call('PATCH', `/Users/${victims[i]}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      return r.ms;
    });
    const [{ revoked }] = await ds.query(`SELECT count(*)::int AS revoked FROM device WHERE account_id = ANY($1::uuid[]) AND status = 'revoked'`, [
      victims,
    ]);
    if (revoked !== victims.length * 5) throw new Error(`deactivation revoked ${revoked} devices, expected ${victims.length * 5}`);
    line('deactivate user with 5 devices', { n: victims.length, ...latencyFields(deactivation.latencies), target_p99_ms: 50 });
  } finally {
    await app.close();
    await db.drop();
  }
}
