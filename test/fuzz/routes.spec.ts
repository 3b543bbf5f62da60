import fc from 'fast-check';
import { DiscoveryModule } from '@nestjs/core';
import { encodeBase64 } from '#client-sdk';
import { createGroupWithExternalSenders } from '#mls';
import { OutboxWorker } from '../../apps/identity-service/src/outbox/index.js';
import { KtSequencer } from '../../apps/identity-service/src/transparency/kt-sequencer.js';
import { csrPem, deviceAuthorization, deviceKeys, enrolledDevice, type DeviceKeys } from '../support/device-client.js';
import { routeTable, type RouteInfo } from '../support/route-table.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { startTestIdp, type TestIdp } from '../support/test-idp.js';
import { until } from '../support/until.js';
import { groupInfoBytes, mlsClient, publishedExternalSenders, suite } from '../removals/mls-clients.js';
import { FUZZ_SEED, fuzzRuns, rate } from './fuzz-settings.js';
import { routeInput, type PoolName, type RouteInput } from './route-inputs.js';
import { changedTables, tableDigests } from './table-snapshot.js';

/**
 * Issue 14 §2: every route, driven with generated parameters, queries and bodies (valid ones,
 * valid ones with one thing wrong, and random JSON or text), by a caller the route accepts.
 * Properties: no 5xx and no hung request; a refused request (4xx) leaves every table as it
 * was; and at least a floor of the valid inputs is accepted, so the suite cannot pass by
 * refusing everything. Afterwards the workers run over what the accepted requests left.
 *
 * The outbox worker and the KT sequencer are off during the requests so that the only writer
 * is the request under test (a table digest after a refusal is then exact); they are started
 * at the end and must handle every message the run produced.
 */
const RUNS_PER_ROUTE = fuzzRuns(6);
const PUBLIC_URL = 'http://mlsid.test';
const SERVICE_CLIENT = { clientId: 'mls-identity', clientSecret: 'service-secret-0123456789abcdef' };
/** Share of the valid inputs that must be accepted (2xx/3xx) over the whole run. */
const VALID_ACCEPT_FLOOR = 0.5;
/** And of all inputs: most routes must see accepted requests, not only refusals. */
const OVERALL_ACCEPT_FLOOR = 0.3;
/**
 * Refusals that record protocol state on purpose: a device-flow poll answered
 * authorization_pending or slow_down stores the interval and the earliest next poll
 * (RFC 8628 §3.5), and one answered expired_token or access_denied marks the session failed.
 */
const STATEFUL_REFUSALS: Record<string, string[]> = { 'EnrollmentController.poll': ['enrollment_session'] };
/** /Me answers 501 by design (RFC 7644 §3.11 lets a provider decline it). */
const isDesigned501 = (route: RouteInfo, status: number) => status === 501 && route.path.endsWith('/Me');

describe('route fuzz: generated requests to every route', () => {
  let t: TestApp;
  let idp: TestIdp;
  let orgId: string;
  const tokens: Record<string, string> = {};
  const pools: Record<PoolName, string[]> = {
    users: [],
    groups: [],
    accounts: [],
    idps: [],
    idpLinks: [],
    scimTokens: [],
    dsClients: [],
    auditorTokens: [],
    devices: [],
    certificates: [],
    certificateSha: [],
    enrollments: [],
    deliveries: [],
    crlFiles: [],
    sources: [],
    csrs: [],
    leafCertificates: [],
    mlsGroups: [],
    groupInfos: [],
    ownDevice: [],
    ownDeviceCsrs: [],
  };
  /** The device whose key signs device requests; its chain follows accepted renewals. */
  let signer: { keys: DeviceKeys; chainDer: Uint8Array[] };
  let junkCount = 0;
  /** Enrollment id → the secret its creator got: status and poll answer only to it. */
  const enrollmentSecrets = new Map<string, string>();
  /** Ids of the fixtures this suite authenticates with: never offered for deletion. */
  const fixtureIds = new Set<string>();
  const saved = { outbox: process.env.OUTBOX_WORKER, kt: process.env.KT_SEQUENCER };

  beforeAll(async () => {
    process.env.OUTBOX_WORKER = 'off';
    process.env.KT_SEQUENCER = 'off';
    idp = await startTestIdp({
      profile: 'okta',
      clients: [{ ...SERVICE_CLIENT, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] }],
    });
    t = await createTestApp({ imports: [DiscoveryModule], env: { PUBLIC_URL } });
    const admin = { token: t.adminToken };
    const org = await call(t.url, 'POST', '/v1/admin/orgs', { ...admin, body: { slug: 'acme', name: 'Acme' } });
    orgId = org.body.id;
    const connection = await call(t.url, 'POST', '/v1/admin/orgs/acme/idp-connections', {
      ...admin,
      body: { name: 'okta', kind: 'okta', issuer: idp.issuer, ...SERVICE_CLIENT },
    });
    const scim = await call(t.url, 'POST', '/v1/admin/orgs/acme/scim-tokens', { ...admin, body: {} });
    const ds = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { ...admin, body: { name: 'ds' } });
    const auditor = await call(t.url, 'POST', '/v1/admin/orgs/acme/auditor-tokens', { ...admin, body: { description: 'fuzz' } });
    expect([org.status, connection.status, scim.status, ds.status, auditor.status]).toEqual([201, 201, 201, 201, 201]);
    Object.assign(tokens, { admin: t.adminToken, scim: scim.body.token, ds: ds.body.token, auditor: auditor.body.token });
    for (const id of [connection.body.id, scim.body.id, ds.body.id, auditor.body.id]) fixtureIds.add(id);

    const user = await call(t.url, 'POST', '/scim/v2/acme/Users', {
      token: tokens.scim,
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fixture@acme.example' },
      headers: { 'content-type': 'application/scim+json' },
    });
    expect(user.status).toBe(201);
    const device = await enrolledDevice(t.app, orgId, user.body.id);
    pools.leafCertificates.push(encodeBase64(device.chain.chainDer[0]));
    signer = { keys: device.device, chainDer: device.chain.chainDer };
    pools.ownDevice.push(device.deviceId);
    pools.ownDeviceCsrs.push(await csrPem(device.device));
    // Revoking or deprovisioning the signing device would turn every later device request into a 401.
    for (const id of [user.body.id, device.deviceId, device.chain.certificateId]) fixtureIds.add(id);
    for (let i = 0; i < 4; i++) pools.csrs.push(await csrPem(await deviceKeys(1)));
    // A real MLS group that lists the service as external sender, for the DS routes.
    const externalSenders = await publishedExternalSenders(t.url, 'acme');
    const owner = await mlsClient(t.app, orgId, user.body.id, 'fuzz-room-owner');
    fixtureIds.add(owner.deviceId);
    const created = await createGroupWithExternalSenders(
      new TextEncoder().encode('fuzz-room'),
      owner.publicPackage,
      owner.privatePackage,
      [externalSenders],
      await suite(),
    );
    pools.groupInfos.push(Buffer.from(await groupInfoBytes(created)).toString('base64'));
    pools.mlsGroups.push(Buffer.from('fuzz-room').toString('base64url'));
    const report = await call(t.url, 'PUT', `/v1/ds/groups/${pools.mlsGroups[0]}`, { token: tokens.ds, body: { groupInfo: pools.groupInfos[0] } });
    expect(report.status).toBe(200);
    await refreshPools();
  });

  afterAll(async () => {
    process.env.OUTBOX_WORKER = saved.outbox;
    process.env.KT_SEQUENCER = saved.kt;
    if (saved.outbox === undefined) delete process.env.OUTBOX_WORKER;
    if (saved.kt === undefined) delete process.env.KT_SEQUENCER;
    await t?.close();
    await idp?.close();
  });

  /** Ids that exist now, from the database (the fuzz creates and deletes them as it goes). */
  async function refreshPools(): Promise<void> {
    const q = async (sql: string) =>
      ((await t.dataSource.query(sql, [orgId])) as { v: string }[]).map((r) => String(r.v)).filter((v) => !fixtureIds.has(v));
    pools.users = pools.accounts = await q(`SELECT id AS v FROM account WHERE org_id = $1 ORDER BY id`);
    pools.groups = await q(`SELECT id AS v FROM scim_group WHERE org_id = $1 ORDER BY id`);
    pools.idps = await q(`SELECT id AS v FROM idp_connection WHERE org_id = $1 ORDER BY id`);
    pools.idpLinks = await q(`SELECT id AS v FROM account_idp_binding WHERE org_id = $1 ORDER BY id`);
    pools.scimTokens = await q(`SELECT id AS v FROM scim_token WHERE org_id = $1 ORDER BY id`);
    pools.dsClients = await q(`SELECT id AS v FROM ds_client WHERE org_id = $1 ORDER BY id`);
    pools.auditorTokens = await q(`SELECT id AS v FROM auditor_token WHERE org_id = $1 ORDER BY id`);
    pools.devices = await q(`SELECT id AS v FROM device WHERE org_id = $1 ORDER BY id`);
    pools.certificates = await q(`SELECT id AS v FROM certificate WHERE org_id = $1 ORDER BY id`);
    pools.certificateSha = await q(`SELECT encode(sha256, 'hex') AS v FROM certificate WHERE org_id = $1 ORDER BY id`);
    pools.enrollments = await q(`SELECT id AS v FROM enrollment_session WHERE org_id = $1 ORDER BY id`);
    pools.crlFiles = await q(`SELECT id || '.crl' AS v FROM ca WHERE org_id = $1 ORDER BY id`);
    pools.sources = await q(`SELECT id AS v FROM outbox WHERE org_id = $1 ORDER BY id LIMIT 50`);
    pools.deliveries = await q(
      `SELECT d.id AS v FROM webhook_delivery d JOIN ds_client c ON c.id = d.ds_client_id WHERE c.org_id = $1 ORDER BY d.id`,
    ).catch(() => pools.deliveries);
  }

  function resolve<T>(value: T): T {
    if (typeof value === 'string') {
      return value.replace(/@ref:(\w+):(\d+)/g, (_, pool: PoolName, n: string) => {
        const ids = pools[pool];
        return ids.length === 0 ? '00000000-0000-4000-8000-000000000000' : ids[Number(n) % ids.length];
      }) as T;
    }
    if (Array.isArray(value)) return value.map(resolve) as T;
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)])) as T;
    return value;
  }

  function tokenFor(route: RouteInfo): string | undefined {
    const kind = ['admin', 'scim', 'ds', 'auditor'].find((k) => route.authKinds.includes(k));
    return kind ? tokens[kind] : undefined;
  }

  function urlOf(route: RouteInfo, input: RouteInput): string {
    const params = resolve(input.params);
    const path = route.path.replace(/([:*])([A-Za-z0-9]+)/g, (_, sigil: string, name: string) =>
      // A wildcard takes slashes; a named segment is one segment, as a client would encode it.
      sigil === '*' ? params[name].split('/').map(encodeSegment).join('/') : encodeSegment(params[name]),
    );
    const query = new URLSearchParams(resolve(input.query)).toString();
    return query ? `${path}?${query}` : path;
  }

  /**
   * A client's encoding, except that values starting with `%` go out as they are (malformed
   * escapes are part of the input) and lone surrogates become the bytes of their UTF-8-like
   * encoding, which no valid UTF-8 decoder accepts.
   */
  function encodeSegment(value: string): string {
    if (value.startsWith('%')) return value;
    return [...value]
      .map((ch) =>
        /[\ud800-\udfff]/.test(ch) ? `%ED%${(0xa0 + ((ch.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%80` : encodeURIComponent(ch),
      )
      .join('');
  }

  it(
    `keeps every route below 500, writes nothing when it refuses, and accepts valid input (${RUNS_PER_ROUTE} runs per route)`,
    async () => {
      const started = Date.now();
      const routes = routeTable(t.app);
      expect(routes.length).toBeGreaterThan(60);
      const samples = routes.map((route, i) => fc.sample(routeInput(route, idp.issuer), { seed: FUZZ_SEED + i, numRuns: RUNS_PER_ROUTE }));
      const failures: string[] = [];
      const stats = { total: 0, accepted: 0, valid: 0, validAccepted: 0 };
      const acceptedByRoute = new Map<string, number>();
      let digests = await tableDigests(t.dataSource);
      let digestMs = 0;

      for (let run = 0; run < RUNS_PER_ROUTE; run++) {
        for (const [i, route] of routes.entries()) {
          const input = samples[i][run];
          const url = urlOf(route, input);
          const headers: Record<string, string> = { 'content-type': input.contentType ?? 'application/json' };
          const token = tokenFor(route) ?? enrollmentSecrets.get(resolve(input.params).id ?? '');
          if (token) headers.authorization = `Bearer ${token}`;
          const body = input.body === undefined ? undefined : 'raw' in input.body ? input.body.raw : JSON.stringify(resolve(input.body.json));
          if (input.auth !== 'default') {
            const signed = await deviceAuthorization(signer.keys, signer.chainDer, { method: route.method, path: url, body });
            // A damaged signature: cut short, or its last characters replaced.
            headers.authorization =
              input.auth === 'device' ? signed : junkCount++ % 2 === 0 ? signed.slice(0, signed.length / 2) : `${signed.slice(0, -12)}AAAAAAAAAAAA`;
          }
          const described = `${route.method} ${url.slice(0, 160)} ${String(body).slice(0, 200)}`;
          let status: number;
          let text = '';
          try {
            const res = await fetch(`${t.url}${url}`, {
              method: route.method,
              headers,
              body,
              redirect: 'manual',
              signal: AbortSignal.timeout(15_000),
            });
            status = res.status;
            text = await res.text();
          } catch (e) {
            failures.push(`no answer (${(e as Error).message}): ${described}`);
            continue;
          }
          stats.total += 1;
          if (process.env.FUZZ_DEBUG) console.log(`${status} ${described.slice(0, 150)} ${text.slice(0, 150)}`);
          if (input.origin === 'valid') stats.valid += 1;
          const digestStarted = Date.now();
          const after = await tableDigests(t.dataSource);
          digestMs += Date.now() - digestStarted;
          if (status >= 500 && !isDesigned501(route, status)) failures.push(`${status} ${text.slice(0, 200)}: ${described}`);
          if (status < 400) {
            stats.accepted += 1;
            if (input.origin === 'valid') stats.validAccepted += 1;
            acceptedByRoute.set(`${route.method} ${route.path}`, (acceptedByRoute.get(`${route.method} ${route.path}`) ?? 0) + 1);
            if (route.handler === 'RenewalController.renew')
              signer.chainDer = (JSON.parse(text).chainDer as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
            if (route.handler === 'EnrollmentController.create') {
              const session = JSON.parse(text) as { enrollmentId: string; enrollmentSecret: string };
              enrollmentSecrets.set(session.enrollmentId, session.enrollmentSecret);
            }
          } else {
            const changed = changedTables(digests, after).filter((table) => !STATEFUL_REFUSALS[route.handler]?.includes(table));
            if (changed.length > 0) failures.push(`refused with ${status} but wrote ${changed.join(', ')}: ${described}`);
          }
          digests = after;
        }
        await refreshPools();
      }

      const seconds = (Date.now() - started) / 1000;
      const untouched = routes.filter((r) => !acceptedByRoute.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`);
      console.log(
        `route fuzz: seed ${FUZZ_SEED}, ${routes.length} routes × ${RUNS_PER_ROUTE} runs = ${stats.total} requests in ${seconds.toFixed(1)} s ` +
          `(${(digestMs / 1000).toFixed(1)} s of it table digests); ` +
          `accepted ${stats.accepted} (${rate(stats.accepted, stats.total)}), valid inputs accepted ${stats.validAccepted}/${stats.valid} ` +
          `(${rate(stats.validAccepted, stats.valid)}); routes with no accepted request: ${untouched.length}\n  ${untouched.join('\n  ')}`,
      );
      expect(failures).toEqual([]);
      expect(stats.validAccepted / stats.valid).toBeGreaterThanOrEqual(VALID_ACCEPT_FLOOR);
      expect(stats.accepted / stats.total).toBeGreaterThanOrEqual(OVERALL_ACCEPT_FLOOR);
    },
    Math.max(180_000, RUNS_PER_ROUTE * 25_000),
  );

  it('lets the workers handle everything the accepted requests queued, without a dead message', async () => {
    t.app.get(OutboxWorker).start();
    t.app.get(KtSequencer).start();
    // Webhooks go to a closed port on purpose (their retries are the webhook lane's business);
    // every other message must be delivered, and every staged log event sequenced.
    await until(
      async () => {
        const [row] = await t.dataSource.query(
          `SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND topic <> 'removals.webhook')::int AS outbox,
                  (SELECT count(*) FROM kt_pending)::int AS kt`,
        );
        return row.outbox === 0 && row.kt === 0;
      },
      30_000,
      'the outbox and the KT sequencer to drain',
    );
    const dead = await t.dataSource.query(`SELECT topic, last_error FROM outbox WHERE dead_at IS NOT NULL AND topic <> 'removals.webhook'`);
    expect(dead).toEqual([]);
  }, 60_000);
});
