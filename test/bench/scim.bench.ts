import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { benchConfig, benchDatabase, latencyFields, line } from './bench-support.js';

/**
 * SCIM provisioning through HTTP, as the IdPs drive it: an initial import of users and
 * groups (Entra: one request at a time; Okta: 8 concurrent clients), single-request
 * latencies on the loaded store, and the deactivation of a user with 5 devices (every
 * revocation and outbox write included). Sizes: SCIM_BENCH_USERS (default 10,000) and
 * SCIM_BENCH_GROUPS (default 200); the import is extrapolated linearly to the issue's
 * sizes (100,000 users, 2,000 groups) and printed beside its targets (120 s sequential, 60 s
 * with 8 clients) and beside the bare cost on the same PostgreSQL: the same number of
 * durable transactions of two INSERTs each (the account or group row and its audit event),
 * sent by plain `pg` clients with no HTTP and no service in between.
 */
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MEMBERS_PER_PATCH = 50;
const TARGET_S: Record<number, number> = { 1: 120, 8: 60 };

/**
 * Statements sent on every pg connection of this process while counting (the service's pool,
 * its background pollers included): the round trips a request costs, as the database sees them.
 */
let statements = 0;
let counting = false;
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) statements++;
  return clientQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

async function counted<T>(run: () => Promise<T>): Promise<T & { statements: number }> {
  statements = 0;
  counting = true;
  try {
    return { ...(await run()), statements };
  } finally {
    counting = false;
  }
}

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

async function importOrg(
  app: INestApplication,
  db: string,
  url: string,
  slug: string,
  users: number,
  groups: number,
  workers: number,
  label: string,
) {
  const org = await app.get(OrgsService).create('bench', slug, slug);
  const { token } = await app.get(CredentialsService).createScimToken('bench', org, 'bench');
  const call = client(`${url}/scim/v2/${slug}`, token);
  const ids: string[] = new Array(users);
  const userPhase = await counted(() =>
    pool(users, workers, async (i) => {
      const r = await call('POST', '/Users', oktaUser(slug, i));
      ids[i] = r.body.id;
      return r.ms;
    }),
  );
  const groupIds: string[] = new Array(groups);
  const groupPhase = await counted(() =>
    pool(groups, workers, async (g) => {
      const r = await call('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `Group ${g}`, externalId: `grp-${g}`, members: [] });
      groupIds[g] = r.body.id;
      return r.ms;
    }),
  );
  // Member pushes: user i joins group i % groups, MEMBERS_PER_PATCH per request.
  const batches: { group: string; members: string[] }[] = [];
  for (let g = 0; g < groups; g++) {
    const members = ids.filter((_, i) => i % groups === g);
    for (let k = 0; k < members.length; k += MEMBERS_PER_PATCH)
      batches.push({ group: groupIds[g], members: members.slice(k, k + MEMBERS_PER_PATCH) });
  }
  const memberPhase = await counted(() =>
    pool(batches.length, workers, async (b) => {
      const { group, members } = batches[b];
      const r = await call('PATCH', `/Groups/${group}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }],
      });
      return r.ms;
    }),
  );
  const total = userPhase.seconds + groupPhase.seconds + memberPhase.seconds;
  // Linear extrapolation: user creations scale with users, group creations with groups,
  // member pushes with users (every user is in one group).
  const projected = userPhase.seconds * (100_000 / users) + groupPhase.seconds * (2_000 / groups) + memberPhase.seconds * (100_000 / users);
  const perRequest = (phase: { statements: number }, n: number) => phase.statements / n;
  line(`import ${label} users`, {
    n: users,
    users_per_s: Math.round(users / userPhase.seconds),
    statements_per_req: perRequest(userPhase, users),
    ...latencyFields(userPhase.latencies),
  });
  line(`import ${label} groups`, {
    n: groups,
    groups_per_s: Math.round(groups / groupPhase.seconds),
    statements_per_req: perRequest(groupPhase, groups),
    ...latencyFields(groupPhase.latencies),
  });
  line(`import ${label} member pushes`, {
    n: batches.length,
    per_request: MEMBERS_PER_PATCH,
    pushes_per_s: Math.round(batches.length / memberPhase.seconds),
    statements_per_req: perRequest(memberPhase, batches.length),
    ...latencyFields(memberPhase.latencies),
  });
  // The floor: the same count of durable two-INSERT transactions, bare, with as many clients.
  const requests = 100_000 + 2_000 + 100_000 / MEMBERS_PER_PATCH;
  const bare = await bareTransactions(db, Math.min(users, 5_000), workers);
  line(`import ${label} bare pg (2 INSERTs + COMMIT)`, { n: Math.min(users, 5_000), tx_per_s: Math.round(bare), projected_s: requests / bare });
  line(`import ${label} total`, {
    seconds: total,
    projected_100k_2k_s: projected,
    target_s: TARGET_S[workers],
    ratio_to_target: projected / TARGET_S[workers],
    ratio_to_bare: projected / (requests / bare),
  });
  return { call, ids, slug };
}

/**
 * Durable transactions per second of the shape a SCIM create commits (one row and its audit
 * row), on `workers` plain connections to the bench database: what PostgreSQL and this disk
 * allow before any service code runs.
 */
async function bareTransactions(url: string, count: number, workers: number): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: workers }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  try {
    await clients[0].query(
      `CREATE TABLE IF NOT EXISTS bench_bare_row (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid, v text, resource jsonb)`,
    );
    await clients[0].query(`CREATE TABLE IF NOT EXISTS bench_bare_event (id bigserial PRIMARY KEY, target text, details jsonb)`);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        for (let i = next++; i < count; i = next++) {
          await c.query('BEGIN');
          const [row] = (
            await c.query(`INSERT INTO bench_bare_row (org_id, v, resource) VALUES (gen_random_uuid(), $1, $2) RETURNING id`, [`user${i}`, { n: i }])
          ).rows;
          await c.query(`INSERT INTO bench_bare_event (target, details) VALUES ($1, '{}')`, [`account:${row.id}`]);
          await c.query('COMMIT');
        }
      }),
    );
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
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
  const config = benchConfig(db.url);
  const app = await createApp(config, db.url);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const ds = app.get<DataSource>(getDataSourceToken());
  try {
    await importOrg(app, db.url, url, 'bench-seq', users, groups, 1, 'sequential (Entra)');
    const { call, ids, slug } = await importOrg(app, db.url, url, 'bench-okta', users, groups, 8, '8 clients (Okta)');

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
