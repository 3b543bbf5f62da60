import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { parseCrl } from '#x509-profile';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import type { Org } from '../../apps/identity-service/src/orgs/org.entity.js';
import { REPLAYS_PER_MINUTE } from '../../apps/identity-service/src/removals/removal-webhooks.service.js';
import { webhookSignature, webhookSigningKey } from '../../apps/identity-service/src/removals/standard-webhooks.js';
import { APP_CLIENT, PUBLIC_URL, SERVICE_CLIENT } from '../enrollment/enrollment-harness.js';
import { PATCH_OP, scimRequester } from '../scim/scim-org.js';
import { enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { startTestIdp, type TestIdp } from '../support/test-idp.js';
import { until } from '../support/until.js';
import { mlsClientEnrolledWithOidc } from './mls-clients.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const LIFECYCLE = ['device.enrolled', 'device.revoked', 'certificate.revoked', 'account.deprovisioned'];

describe('lifecycle webhooks and the webhook lane (real receivers, real PostgreSQL)', () => {
  let t: TestApp;
  let org: Org;
  let idp: TestIdp;
  let receiver: Server;
  let blackHole: TcpServer;
  const held: Socket[] = [];
  const received: Received[] = [];
  let receiverUrl: string;
  let appClient: { id: string; token: string; webhookSecret: string };
  let holeClient: { id: string; token: string };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    // accepts connections and never answers: the receiver that stalled revocation in issue 14
    blackHole = createTcpServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const holeUrl = `http://127.0.0.1:${(blackHole.address() as { port: number }).port}/hook`;

    idp = await startTestIdp({
      profile: 'entra',
      clients: [
        { clientId: SERVICE_CLIENT.clientId, clientSecret: SERVICE_CLIENT.clientSecret, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] },
        { clientId: APP_CLIENT, redirectUris: ['http://127.0.0.1/app-callback'] },
      ],
      users: { dana: { email: 'dana@acme.example', amr: ['pwd', 'mfa'] } },
    });
    t = await createTestApp({ env: { PUBLIC_URL } });
    org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    await t.app.get(OrgsService).addIdpConnection('test', org, {
      name: 'entra',
      kind: 'entra',
      issuer: idp.issuer,
      clientId: SERVICE_CLIENT.clientId,
      clientSecret: SERVICE_CLIENT.clientSecret,
      nativeClientIds: [APP_CLIENT],
      // accounts are provisioned by name here: binding by verified email is the connection's opt-in
      matchByVerifiedEmail: true,
    });
    // an app subscribes to the lifecycle events when it is registered
    const created = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', {
      token: t.adminToken,
      body: { name: 'chat-app', webhookUrl: `${receiverUrl}/app`, webhookEvents: LIFECYCLE },
    });
    expect(created.status).toBe(201);
    expect(created.body.webhookEvents).toEqual(LIFECYCLE);
    appClient = created.body;
    // a delivery service that never chose keeps today's behaviour: removals.proposed only
    const legacy = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', {
      token: t.adminToken,
      body: { name: 'legacy-ds', webhookUrl: `${receiverUrl}/legacy` },
    });
    expect(legacy.body.webhookEvents).toEqual(['removals.proposed']);
    // the black-holed one subscribes to everything, afterwards
    const hole = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', {
      token: t.adminToken,
      body: { name: 'stuck-ds', webhookUrl: holeUrl },
    });
    holeClient = hole.body;
    const patched = await call(t.url, 'PATCH', `/v1/admin/orgs/acme/ds-clients/${holeClient.id}/webhook-events`, {
      token: t.adminToken,
      body: { webhookEvents: ['removals.proposed', ...LIFECYCLE] },
    });
    expect([patched.status, patched.body.webhookEvents]).toEqual([200, ['removals.proposed', ...LIFECYCLE]]);
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await idp.close();
    for (const s of held) s.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
    await new Promise((resolve) => receiver.close(resolve));
  });

  const appEvents = () =>
    received
      .filter((r) => r.path === '/app')
      .map((r) => {
        const id = String(r.headers['webhook-id']);
        const ts = Number(r.headers['webhook-timestamp']);
        // every message verifies under the app's own secret (Standard Webhooks)
        expect(r.headers['webhook-signature']).toBe(webhookSignature(webhookSigningKey(appClient.webhookSecret), id, ts, r.body));
        return { id, ...(JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> }) };
      });

  it('refuses unknown event types and clients of another org', async () => {
    const bad = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', {
      token: t.adminToken,
      body: { name: 'x', webhookUrl: `${receiverUrl}/x`, webhookEvents: ['device.exploded'] },
    });
    expect(bad.status).toBe(400);
    const missing = await call(t.url, 'PATCH', `/v1/admin/orgs/acme/ds-clients/${holeClient.id}/webhook-events`, {
      token: t.adminToken,
      body: {},
    });
    expect(missing.status).toBe(400);
    await t.app.get(OrgsService).create('test', 'other', 'Other');
    const foreign = await call(t.url, 'PATCH', `/v1/admin/orgs/other/ds-clients/${holeClient.id}/webhook-events`, {
      token: t.adminToken,
      body: { webhookEvents: null },
    });
    expect([foreign.status, foreign.body.reason]).toEqual([404, 'ds_client_not_found']);
  });

  it('pushes device.enrolled, then account.deprovisioned, device.revoked and certificate.revoked, signed, to subscribers only', async () => {
    const accountId = await insertAccount(t.dataSource, org.id, 'dana@acme.example');
    const dana = await mlsClientEnrolledWithOidc({ t, idp, org }, 'dana', 'dana-phone');
    expect(dana.accountId).toBe(accountId);
    const enrolled = await until(async () => appEvents().find((e) => e.type === 'device.enrolled'), 5000, 'device.enrolled');
    const [cert] = await t.dataSource.query(`SELECT encode(sha256, 'hex') AS sha FROM certificate WHERE device_id = $1`, [dana.deviceId]);
    expect(enrolled.data).toMatchObject({ deviceId: dana.deviceId, accountId, certificateSha256: cert.sha });

    // the IdP deprovisions Dana over SCIM
    const scimToken = (await t.app.get(CredentialsService).createScimToken('test', org, 'entra')).token;
    const scim = scimRequester(`${t.url}/scim/v2/acme`, scimToken);
    const patched = await scim('PATCH', `/Users/${accountId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
    });
    expect(patched.status).toBe(204);
    const pushed = await until(
      async () => {
        const events = appEvents();
        return LIFECYCLE.every((type) => events.some((e) => e.type === type)) && events;
      },
      5000,
      'the deprovisioning events',
    );
    expect(pushed.find((e) => e.type === 'account.deprovisioned')!.data).toMatchObject({ accountId, mode: 'deactivate' });
    expect(pushed.find((e) => e.type === 'device.revoked')!.data).toMatchObject({
      deviceId: dana.deviceId,
      accountId,
      reason: 'cessationOfOperation',
    });
    expect(pushed.find((e) => e.type === 'certificate.revoked')!.data).toMatchObject({
      certificateSha256: cert.sha,
      deviceId: dana.deviceId,
      reason: 'cessationOfOperation',
    });
    // one message per event, each with its own webhook-id; nothing of it to the legacy client
    expect(new Set(pushed.map((e) => e.id)).size).toBe(pushed.length);
    expect(pushed.map((e) => e.type).sort()).toEqual([...LIFECYCLE].sort());
    expect(received.filter((r) => r.path === '/legacy')).toEqual([]);
    // and the delivery log of the app client shows them delivered (recorded just after the receiver answered)
    const expected = JSON.stringify([...LIFECYCLE].sort().map((type) => [type, 'delivered']));
    await until(
      async () => {
        const log = await call(t.url, 'GET', '/v1/ds/webhooks/deliveries', { token: appClient.token });
        const states = log.body.deliveries.map((d: { eventType: string; status: string }) => [d.eventType, d.status]).sort();
        return JSON.stringify(states) === expected || undefined;
      },
      5000,
      'every lifecycle delivery logged as delivered',
    );
  }, 30_000);

  /** Revokes a fresh device and measures, from the committed answer, until the CRL and the log both show it. */
  async function revocationLatency(accountId: string, what: string): Promise<number> {
    const { deviceId, chain } = await enrolledDevice(t.app, org.id, accountId);
    const [row] = await t.dataSource.query(`SELECT encode(sha256, 'hex') AS sha FROM certificate WHERE id = $1`, [chain.certificateId]);
    const revoked = await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${deviceId}/revoke`, {
      token: t.adminToken,
      body: { reason: 'keyCompromise' },
    });
    expect(revoked.status).toBe(201);
    const committed = Date.now();
    const onCrl = async () => {
      const [ca] = await t.dataSource.query(
        `SELECT crl_der, crl_stale_since FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`,
        [org.id],
      );
      if (ca.crl_stale_since !== null || !ca.crl_der) return false;
      return parseCrl(new Uint8Array(ca.crl_der)).entries.some((e) => e.serialNumber.toLowerCase() === chain.serial.toLowerCase());
    };
    const inLog = async () => {
      const res = await call(t.url, 'GET', `/kt/acme/entries/by-certificate/${row.sha}`, { token: appClient.token });
      return (res.body.entries ?? []).some((e: { type: string }) => e.type === 'certificate_revoked');
    };
    const [crlAt, logAt] = await Promise.all(
      [onCrl, inLog].map((probe, k) =>
        until(async () => (await probe()) && Date.now(), 2000, `${what}: ${k === 0 ? 'on the CRL' : 'in the KT log'}`),
      ),
    );
    return Math.max(crlAt, logAt) - committed;
  }

  it('puts revocations on the CRL and in the log within 2 s while a black-holed webhook receiver stalls, also after replays', async () => {
    const accountId = await insertAccount(t.dataSource, org.id, 'erin@acme.example');
    const latencies: number[] = [];
    for (let round = 0; round < 4; round++) {
      latencies.push(await revocationLatency(accountId, `round ${round}`));
      // the stuck receiver holds connections open meanwhile
      expect(held.length).toBeGreaterThan(0);
    }
    expect(Math.max(...latencies)).toBeLessThan(2000);

    // replays of deliveries still pending (in flight to the black hole) are no-ops
    const [pending] = await t.dataSource.query(`SELECT id FROM webhook_delivery WHERE ds_client_id = $1 AND status = 'pending' LIMIT 1`, [
      holeClient.id,
    ]);
    const holeBearer = holeClient.token;
    const [{ n: before }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'deliveryId' = $1`, [pending.id]);
    for (let i = 0; i < 4; i++) {
      const replay = await call(t.url, 'POST', `/v1/ds/webhooks/deliveries/${pending.id}/replay`, { token: holeBearer });
      expect([replay.status, replay.body.status, replay.body.replayQueued]).toEqual([202, 'pending', false]);
    }
    const [{ n: after }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'deliveryId' = $1`, [pending.id]);
    expect(after).toBe(before);

    // and after those replays a revocation is still as fast
    expect(await revocationLatency(accountId, 'after replays')).toBeLessThan(2000);

    // a flood of replays is refused with 429 and Retry-After, counted in PostgreSQL
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < REPLAYS_PER_MINUTE + 2 && !limited; i++) {
      const res = await call(t.url, 'POST', `/v1/ds/webhooks/deliveries/${pending.id}/replay`, { token: holeBearer });
      if (res.status === 429) limited = res;
    }
    expect(limited?.body.reason).toBe('replay_rate_limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const [{ n: counted }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_replay_limit`);
    expect(counted).toBe(1);
  }, 60_000);
});
