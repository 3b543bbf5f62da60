// Shared by the fault tests (issue 14 §6): a populated org (SCIM accounts, enrolled devices with
// real certificates, MLS groups listing the service as external sender), real service processes
// that can be killed, and one check that every expected effect of a deprovisioning is there once.
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { X509Crl } from '@peculiar/x509';
import { createCommit, type ClientState, type Extension } from 'ts-mls';
import { createGroupWithExternalSenders } from '#mls';
import { openCheckpoint, parseVerifierKey, verifyConsistencyProof } from '#tlog';
import { freePort } from '../../apps/identity-service/src/database/embedded-postgres.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { FakeDeliveryService, groupPath, mlsClient, suite, type MlsClient } from '../removals/mls-clients.js';
import { CORE_USER, PATCH_OP, scimRequester } from '../scim/scim-org.js';
import type { TestDatabase } from '../support/database.js';
import { startService, waitReady, type ServiceProcess } from '../support/service-process.js';
import { call, createTestApp, UNLIMITED_ENROLLMENT_ENV, type TestApp } from '../support/test-app.js';
import type { Org } from '../../apps/identity-service/src/orgs/org.entity.js';
import { mlsid } from '../transparency/kt-support.js';
import { until } from '../support/until.js';

export const ADMIN_TOKEN = `fault-admin-${randomBytes(20).toString('hex')}`;

export interface PopulatedAccount {
  accountId: string;
  userName: string;
  devices: { deviceId: string; certificateSha256: string; serialHex: string }[];
}

export interface PopulatedGroup {
  /** unpadded base64url, as in /v1/ds/groups/{groupId} */
  groupId: string;
  /** leaf index of every member device */
  leaves: Map<string, number>;
}

export interface Population {
  slug: string;
  orgId: string;
  scimToken: string;
  dsToken: string;
  /** Accounts the tests deprovision; `keeper` stays (it creates the groups). */
  accounts: PopulatedAccount[];
  groups: PopulatedGroup[];
  externalSenders: Extension;
  /** The MLS clients (KeyPackages) of the keeper and of each account's devices, for more groups. */
  keeper: MlsClient;
  clients: MlsClient[][];
}

const enc = new TextEncoder();

/**
 * Builds the org through a short-lived in-process instance (it alone can certify devices without
 * an IdP), then closes it: the replicas under test are separate processes started afterwards.
 * Each of `groups` groups holds the keeper and every device of `perGroup` consecutive accounts.
 */
export async function populate(
  db: TestDatabase,
  kek: string,
  options: {
    slug: string;
    accounts: number;
    devicesPerAccount: number;
    groups: number;
    perGroup: number;
    /** More configuration of the org (an IdP connection, say), by the in-process instance. */
    setup?: (t: TestApp, org: Org) => Promise<void>;
  },
): Promise<Population> {
  const t = await createTestApp({ db, env: { KEK: kek, ADMIN_TOKEN, OUTBOX_POLL_MS: '20' } });
  try {
    const org = await t.app.get(OrgsService).create('test', options.slug, options.slug);
    const scimToken = (await t.app.get(CredentialsService).createScimToken('test', org, 'okta')).token;
    const dsToken = (await t.app.get(CredentialsService).createDsClient('test', org, 'ds', null)).token;
    await options.setup?.(t, org);
    const scim = scimRequester(`${t.url}/scim/v2/${options.slug}`, scimToken);
    const provision = async (userName: string): Promise<string> => {
      const res = await scim('POST', '/Users', { body: { schemas: [CORE_USER], userName, active: true, displayName: userName } });
      if (res.status !== 201) throw new Error(`SCIM provisioning failed: ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    const keeper = await mlsClient(t.app, org.id, await provision(`keeper@${options.slug}.example`), 'keeper');
    const accounts: PopulatedAccount[] = [];
    const clients: MlsClient[][] = [];
    for (let i = 0; i < options.accounts; i++) {
      const userName = `user${i}@${options.slug}.example`;
      const accountId = await provision(userName);
      const devices: MlsClient[] = [];
      for (let d = 0; d < options.devicesPerAccount; d++) devices.push(await mlsClient(t.app, org.id, accountId, `u${i}d${d}`));
      clients.push(devices);
      accounts.push({
        accountId,
        userName,
        devices: devices.map((c) => ({
          deviceId: c.deviceId,
          certificateSha256: createHash('sha256').update(c.chainDer[0]!).digest('hex'),
          serialHex: '',
        })),
      });
    }
    for (const a of accounts) {
      for (const d of a.devices) {
        const [row] = await t.dataSource.query(`SELECT serial FROM certificate WHERE encode(sha256, 'hex') = $1`, [d.certificateSha256]);
        d.serialHex = String(row.serial).toLowerCase();
      }
    }
    const published = await call(t.url, 'GET', `/v1/orgs/${options.slug}/mls/external-senders`);
    const externalSenders: Extension = {
      extensionType: 'external_senders',
      extensionData: new Uint8Array(
        Buffer.from(published.body.externalSenders.find((s: { ciphersuite: number }) => s.ciphersuite === 1).externalSendersExtensionData, 'base64'),
      ),
    };
    const ds = new FakeDeliveryService(t.url, dsToken);
    const groups: PopulatedGroup[] = [];
    for (let g = 0; g < options.groups; g++) {
      const members: MlsClient[] = [];
      for (let k = 0; k < options.perGroup; k++) members.push(...clients[(g + k) % clients.length]!);
      const made = await buildGroup(`${options.slug}-room-${g}`, keeper, members, externalSenders);
      const reported = await ds.report(made.state);
      if (reported.status !== 200) throw new Error(`group report failed: ${reported.status} ${reported.text}`);
      groups.push(made.group);
    }
    return { slug: options.slug, orgId: org.id, scimToken, dsToken, accounts, groups, externalSenders, keeper, clients };
  } finally {
    await t.close();
  }
}

/** A group created by `creator` (leaf 0) that adds `members` (leaves 1…) in one commit, ready to report. */
export async function buildGroup(
  name: string,
  creator: MlsClient,
  members: MlsClient[],
  externalSenders: Extension,
): Promise<{ state: ClientState; group: PopulatedGroup }> {
  const cs = await suite();
  const created = await createGroupWithExternalSenders(enc.encode(name), creator.publicPackage, creator.privatePackage, [externalSenders], cs);
  const added = await createCommit(
    { state: created, cipherSuite: cs },
    { extraProposals: members.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })), wireAsPublicMessage: true },
  );
  return { state: added.newState, group: { groupId: groupPath(added.newState), leaves: new Map(members.map((m, i) => [m.deviceId, i + 1])) } };
}

/** A replica: a real service process on a fixed port, restartable, killable with SIGKILL. */
export class Replica {
  process?: ServiceProcess;
  readonly url: string;
  /** Where its metrics listener answers (METRICS_PORT: never the API port). */
  readonly metricsUrl: string;
  private readonly outputs: string[] = [];

  private constructor(
    readonly name: string,
    readonly port: number,
    metricsPort: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.metricsUrl = `http://127.0.0.1:${metricsPort}`;
  }

  static async create(name: string, databaseUrl: string, kek: string, env: Record<string, string> = {}): Promise<Replica> {
    const port = await freePort();
    const metricsPort = await freePort();
    return new Replica(name, port, metricsPort, {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      KEK: kek,
      ADMIN_TOKEN,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      OUTBOX_POLL_MS: '50',
      KT_SEQUENCER_POLL_MS: '50',
      LOG_LEVEL: 'warn',
      ...UNLIMITED_ENROLLMENT_ENV,
      ...env,
    });
  }

  async start(readyWithinMs = 45000, extra: Record<string, string> = {}): Promise<void> {
    const p = (this.process = startService({ ...this.env, ...extra }));
    await waitReady(this.url, readyWithinMs).catch((e: Error) => {
      throw new Error(`replica ${this.name}: ${e.message}\n${p.output()}`);
    });
  }

  /** Starts without waiting for readiness (for a replica that is expected to refuse it). */
  spawn(extra: Record<string, string> = {}): ServiceProcess {
    this.process = startService({ ...this.env, ...extra });
    return this.process;
  }

  async kill9(): Promise<void> {
    const p = this.process;
    if (!p) return;
    p.child.kill('SIGKILL');
    await p.exited;
    this.outputs.push(p.output());
    this.process = undefined;
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (!p) return;
    p.child.kill('SIGTERM');
    const late = setTimeout(() => p.child.kill('SIGKILL'), 15000);
    await p.exited;
    clearTimeout(late);
    this.outputs.push(p.output());
    this.process = undefined;
  }

  output(): string {
    return [...this.outputs, this.process?.output() ?? ''].join('\n');
  }
}

/**
 * fetch's "fetch failed" (refused or reset connection: the replica is down). By name, since
 * jest's realm has its own TypeError class.
 */
export function isConnectionFailure(e: unknown): boolean {
  return (e as Error)?.name === 'TypeError' && /fetch failed/.test((e as Error).message);
}

/**
 * What an IdP does: PATCH active=false, retried (on 5xx or a refused connection) until the
 * service answers 204. Requests go round-robin over the replicas that are up.
 */
export async function deprovision(replicas: () => Replica[], pop: Population, account: PopulatedAccount, deadlineMs = 60000): Promise<number> {
  const end = Date.now() + deadlineMs;
  let tries = 0;
  for (;;) {
    const live = replicas();
    const r = live[tries % Math.max(1, live.length)];
    tries++;
    if (r) {
      try {
        const res = await call(r.url, 'PATCH', `/scim/v2/${pop.slug}/Users/${account.accountId}`, {
          token: pop.scimToken,
          headers: { 'content-type': 'application/scim+json' },
          body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
        });
        if (res.status === 204) return tries;
        if (res.status < 500) throw new Error(`deprovisioning ${account.userName}: ${res.status} ${res.text}`);
      } catch (e) {
        if (!isConnectionFailure(e)) throw e;
      }
    }
    if (Date.now() > end) throw new Error(`deprovisioning ${account.userName} never answered 204`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Every outbox message of the org delivered (none pending, none dead). */
async function outboxSettled(dbUrl: string, orgId: string): Promise<boolean> {
  const [row] = await query(dbUrl, `SELECT count(*)::int AS n FROM outbox WHERE (org_id = $1 OR org_id IS NULL) AND delivered_at IS NULL`, [orgId]);
  const [staged] = await query(dbUrl, `SELECT count(*)::int AS n FROM kt_pending WHERE org_id = $1`, [orgId]);
  return row.n === 0 && staged.n === 0;
}

/** Pages through the removal feed from the start. */
export async function readFeed(url: string, token: string): Promise<{ groupId: string; leafIndex: number; deviceId: string; status: string }[]> {
  const all: { groupId: string; leafIndex: number; deviceId: string; status: string }[] = [];
  let cursor = '0';
  for (;;) {
    const page = await call(url, 'GET', `/v1/ds/removals?after=${cursor}&limit=1000`, { token });
    if (page.status !== 200) throw new Error(`feed: ${page.status} ${page.text}`);
    if (page.body.removals.length === 0) return all;
    all.push(...page.body.removals);
    cursor = page.body.cursor;
  }
}

/**
 * Waits until the outbox and the sequencer have caught up, then checks that each deprovisioned
 * account left exactly what it should: revoked devices and certificates, every revoked serial on
 * the CRL, one `certificate_revoked` entry per certificate and one `account_deprovisioned` per
 * account in a linear log whose stored checkpoints each extend the one before, and one open
 * removal per (group, leaf) of a revoked device, each in the feed exactly once.
 */
export async function expectNothingLostNothingDoubled(
  url: string,
  dbUrl: string,
  pop: Population,
  deprovisioned: PopulatedAccount[],
  timeoutMs = 30000,
  groups: PopulatedGroup[] = pop.groups,
): Promise<{ settledMs: number; expectedRemovals: string[] }> {
  const t0 = Date.now();
  await until(() => outboxSettled(dbUrl, pop.orgId), timeoutMs, 'the outbox and the sequencer to catch up');
  const settledMs = Date.now() - t0;

  // outbox messages never dead; one log entry per kt.append message, indexes 0..n-1
  const [dead] = await query(dbUrl, `SELECT count(*)::int AS n FROM outbox WHERE dead_at IS NOT NULL`);
  expect(dead.n).toBe(0);
  const [shape] = await query(
    dbUrl,
    `SELECT count(*)::int AS n, min(idx)::int AS lo, max(idx)::int AS hi, count(DISTINCT source_id)::int AS sources FROM kt_entry WHERE org_id = $1`,
    [pop.orgId],
  );
  const [{ size }] = await query(dbUrl, `SELECT size::int AS size FROM kt_log WHERE org_id = $1`, [pop.orgId]);
  const [{ messages }] = await query(dbUrl, `SELECT count(*)::int AS messages FROM outbox WHERE topic = 'kt.append' AND org_id = $1`, [pop.orgId]);
  expect(shape).toEqual({ n: size, lo: 0, hi: size - 1, sources: size });
  expect(size).toBe(messages);

  const revokedDevices = new Set(deprovisioned.flatMap((a) => a.devices.map((d) => d.deviceId)));
  const states = await query(
    dbUrl,
    `SELECT d.id, d.status AS device, array_agg(c.status) AS certs FROM device d JOIN certificate c ON c.device_id = d.id
      WHERE d.org_id = $1 AND d.id = ANY($2::uuid[]) GROUP BY d.id, d.status`,
    [pop.orgId, [...revokedDevices]],
  );
  expect(states).toHaveLength(revokedDevices.size);
  for (const s of states) expect({ device: s.device, certs: [...new Set(s.certs)] }).toEqual({ device: 'revoked', certs: ['revoked'] });

  // the CRL of the org's intermediate lists every revoked serial (it is re-signed in the background)
  const [ca] = await query(dbUrl, `SELECT id FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`, [pop.orgId]);
  const serials = deprovisioned.flatMap((a) => a.devices.map((d) => d.serialHex));
  await until(
    async () => {
      const res = await fetch(`${url}/pki/${pop.slug}/crl/${ca.id}.crl`);
      if (res.status !== 200) return false;
      const listed = new Set(new X509Crl(new Uint8Array(await res.arrayBuffer())).entries.map((e) => e.serialNumber.toLowerCase()));
      return serials.every((s) => listed.has(s));
    },
    timeoutMs,
    'every revoked serial on the CRL',
  );

  // the log, as readers see it: each certificate revoked once, each account deprovisioned once
  for (const a of deprovisioned) {
    for (const d of a.devices) {
      const res = await call(url, 'GET', `/kt/${pop.slug}/entries/by-certificate/${d.certificateSha256}`, { token: pop.dsToken });
      expect(res.status).toBe(200);
      expect(res.body.entries.filter((e: { type: string }) => e.type === 'certificate_revoked')).toHaveLength(1);
    }
    const history = await call(url, 'GET', `/kt/${pop.slug}/accounts/${a.accountId}`, { token: pop.dsToken });
    expect(history.status).toBe(200);
    expect(history.body.entries.filter((e: { type: string }) => e.type === 'account_deprovisioned')).toHaveLength(1);
  }
  await expectLinearCheckpoints(url, dbUrl, pop);

  // removals: one open per (group, leaf) of a revoked device, in the feed exactly once
  const expected: string[] = [];
  for (const g of groups)
    for (const [deviceId, leaf] of g.leaves) if (revokedDevices.has(deviceId)) expected.push(`${g.groupId}/${leaf}/${deviceId}`);
  const feed = await readFeed(url, pop.dsToken);
  const open = feed.filter((r) => r.status === 'pending' || r.status === 'delivered').map((r) => `${r.groupId}/${r.leafIndex}/${r.deviceId}`);
  expect(open.sort()).toEqual(expected.sort());
  return { settledMs, expectedRemovals: expected };
}

/** Each stored checkpoint is signed by the log key and extends the one before it (consistency proofs). */
export async function expectLinearCheckpoints(url: string, dbUrl: string, pop: Population): Promise<void> {
  const key = await call(url, 'GET', `/kt/${pop.slug}/key`, { token: pop.dsToken });
  const verifier = parseVerifierKey(key.text.trim());
  const rows = await query<{ note: string }>(dbUrl, `SELECT note FROM kt_checkpoint WHERE org_id = $1 ORDER BY size`, [pop.orgId]);
  let previous: { size: number; rootHash: Uint8Array } | undefined;
  for (const row of rows) {
    const cp = openCheckpoint(row.note, [verifier], verifier.name).checkpoint;
    if (previous && previous.size > 0) {
      const res = await call(url, 'GET', `/kt/${pop.slug}/proof/consistency?from=${previous.size}&to=${cp.size}`, { token: pop.dsToken });
      if (res.status !== 200) throw new Error(`consistency proof ${previous.size}→${cp.size}: ${res.status} ${res.text}`);
      const proof = (res.body.proof as string[]).map((p) => new Uint8Array(Buffer.from(p, 'base64')));
      verifyConsistencyProof(previous.size, cp.size, previous.rootHash, cp.rootHash, proof);
    }
    previous = cp;
  }
}

/** `mlsid log verify` against a replica, following a state file (first use pins the key). */
export async function logVerify(url: string, pop: Population, stateFile: string): Promise<{ code: number; out: string; err: string }> {
  return mlsid(['log', 'verify', '--url', url, '--org', pop.slug, '--token', pop.dsToken, '--state', stateFile], path.dirname(stateFile));
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export { query };
