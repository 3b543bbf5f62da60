import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { enrolledDevice } from '../support/device-client.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  service?: unknown;
}

/** A stand-in OTLP/HTTP collector: records every span posted to /v1/traces (JSON encoding). */
async function startCollector(): Promise<{ url: string; spans: ReceivedSpan[]; posts: string[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const posts: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const attributes = Object.fromEntries(
              (s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]),
            );
            spans.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes, service });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The exporter keeps its connection alive; it would hold the process open.
        server.closeAllConnections();
      }),
  };
}

/** Some of everything: HTTP requests with queries, an outbox message, a KT log entry. */
async function exercise(t: TestApp): Promise<void> {
  expect((await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'acme', name: 'Acme' } })).status).toBe(201);
  const scim = await call(t.url, 'POST', '/v1/admin/orgs/acme/scim-tokens', { token: t.adminToken, body: {} });
  const user = await call(t.url, 'POST', '/scim/v2/acme/Users', {
    token: scim.body.token,
    body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'alice@acme.example' },
    headers: { 'content-type': 'application/scim+json' },
  });
  expect(user.status).toBe(201);
  const orgId = (await t.dataSource.query(`SELECT id FROM org WHERE slug = 'acme'`))[0].id;
  const { deviceId } = await enrolledDevice(t.app, orgId, user.body.id);
  const revoked = await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${deviceId}/revoke`, { token: t.adminToken, body: {} });
  expect(revoked.status).toBeLessThan(300);
  // Issuance and revocation reach the KT log through the outbox; wait until it is sequenced.
  await until(async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM kt_entry`))[0].n > 0, 10_000, 'a sequenced KT entry');
}

describe('OpenTelemetry tracing', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;

  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  it('is off by default: nothing is exported', async () => {
    const t = await createTestApp({ env: { OUTBOX_POLL_MS: '20' } });
    try {
      expect(t.config.tracing.enabled).toBe(false);
      await exercise(t);
    } finally {
      await t.close();
    }
    // BatchSpanProcessor would have flushed on close; nothing reached the collector.
    expect(collector.posts).toEqual([]);
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT, exports HTTP, PostgreSQL, outbox and sequencer spans over OTLP/HTTP', async () => {
    const t = await createTestApp({
      env: { OUTBOX_POLL_MS: '20', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'mls-identity-test' },
    });
    try {
      expect(t.config.tracing).toMatchObject({ enabled: true, tracesUrl: `${collector.url}/v1/traces` });
      await exercise(t);
      await until(() => Promise.resolve(collector.spans.some((s) => s.name === 'kt.sequence')), 10_000, 'a kt.sequence span');
    } finally {
      await t.close();
    }
    const { spans } = collector;
    expect(collector.posts[0]).toBe('POST /v1/traces application/json');
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['mls-identity-test']));

    // The HTTP server span of the org creation, and PostgreSQL query spans inside it.
    const request = spans.find(
      (s) => s.attributes['http.route'] === '/v1/admin/orgs' || (s.name.startsWith('POST') && s.attributes['url.path'] === '/v1/admin/orgs'),
    );
    expect(request).toBeDefined();
    const queries = spans.filter((s) => s.traceId === request!.traceId && s.attributes['db.system.name'] === 'postgresql');
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.some((q) => String(q.attributes['db.query.text']).startsWith('INSERT INTO "org"'))).toBe(true);
    // Statements only: parameter values (names, keys, tokens) are not recorded.
    expect(queries.flatMap((q) => Object.keys(q.attributes)).filter((k) => k.includes('parameter') || k.includes('values'))).toEqual([]);

    // The worker spans, each with its queries as children.
    const batch = spans.find((s) => s.name === 'outbox.batch');
    expect(batch?.attributes['outbox.messages']).toBeGreaterThan(0);
    expect(spans.some((s) => s.parentSpanId === batch!.spanId && s.attributes['db.system.name'] === 'postgresql')).toBe(true);
    const sequence = spans.find((s) => s.name === 'kt.sequence' && s.attributes['kt.to'] !== undefined);
    expect(sequence).toBeDefined();
    expect(spans.some((s) => s.parentSpanId === sequence!.spanId)).toBe(true);

    // Idle polls of the workers are not traced, nor are health probes.
    expect(spans.filter((s) => s.name.startsWith('pg') && !s.parentSpanId)).toEqual([]);
    // Secrets stay out: bearer tokens are never span attributes.
    expect(JSON.stringify(spans)).not.toContain(t.adminToken);
  }, 60_000);
});
