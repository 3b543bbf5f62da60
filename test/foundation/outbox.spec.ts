import { OutboxService } from '../../apps/identity-service/src/outbox/outbox.service.js';
import { OutboxWorker } from '../../apps/identity-service/src/outbox/outbox.worker.js';
import type { OutboxDelivery } from '../../apps/identity-service/src/outbox/outbox-handler.js';
import { retryDelayMs, type LaneOptions } from '../../apps/identity-service/src/outbox/outbox-handler.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { until } from '../support/until.js';

describe('transactional outbox', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two replicas on one database, their workers stopped until a test starts them.
    a = await createTestApp({ db, env: { OUTBOX_BATCH_SIZE: '5' } });
    b = await createTestApp({ db, env: { OUTBOX_BATCH_SIZE: '5' } });
    await a.app.get(OutboxWorker).stop();
    await b.app.get(OutboxWorker).stop();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  const enqueue = (t: TestApp, topic: string, payload: Record<string, unknown>) =>
    t.dataSource.transaction((m) => t.app.get(OutboxService).enqueue(m, { orgId: null, topic, payload }));

  it('never delivers an event whose transaction rolled back', async () => {
    const seen: OutboxDelivery[] = [];
    a.app.get(OutboxWorker).register('t.rollback', async (msg) => void seen.push(msg));
    await expect(
      a.dataSource.transaction(async (m) => {
        await a.app.get(OutboxService).enqueue(m, { orgId: null, topic: 't.rollback', payload: { n: 'ghost' } });
        throw new Error('business change failed');
      }),
    ).rejects.toThrow('business change failed');
    await enqueue(a, 't.rollback', { n: 'real' });
    while ((await a.app.get(OutboxWorker).deliverBatch()) > 0);
    expect(seen.map((m) => m.payload.n)).toEqual(['real']);
    const [{ n }] = await a.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 't.rollback'`);
    expect(n).toBe(1);
  });

  it('refuses to write an event outside a transaction', async () => {
    await expect(a.app.get(OutboxService).enqueue(a.dataSource.manager, { orgId: null, topic: 'x', payload: {} })).rejects.toThrow(
      /inside the transaction/,
    );
  });

  it('redelivers, not loses, a message whose worker died mid-delivery', async () => {
    let release!: () => void;
    const started = new Promise<number>((resolve) => {
      a.app.get(OutboxWorker).register('t.crash', async (_msg, m) => {
        const [{ pid }] = await m.query('SELECT pg_backend_pid() AS pid');
        resolve(pid);
        await new Promise<void>((r) => (release = r));
      });
    });
    const delivered: string[] = [];
    b.app.get(OutboxWorker).register('t.crash', async (msg) => void delivered.push(String(msg.payload.n)));
    await enqueue(a, 't.crash', { n: 'survivor' });
    const batch = a.app
      .get(OutboxWorker)
      .deliverBatch()
      .catch((e: Error) => e);
    const pid = await started;
    // While A holds the row, B skips it rather than delivering it twice.
    expect(await b.app.get(OutboxWorker).deliverBatch()).toBe(0);
    // A's process "dies": its database session is gone and its transaction with it.
    await b.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    release();
    expect(await batch).toBeInstanceOf(Error);
    await until(async () => ((await b.app.get(OutboxWorker).deliverBatch()) > 0 ? true : undefined), 5000, 'a delivered batch');
    expect(delivered).toEqual(['survivor']);
    const [row] = await b.dataSource.query(`SELECT delivered_at FROM outbox WHERE topic = 't.crash'`);
    expect(row.delivered_at).not.toBeNull();
  });

  it('retries a failing handler with backoff, recording attempts and the last error', async () => {
    let calls = 0;
    a.app.get(OutboxWorker).register('t.flaky', async () => {
      calls += 1;
      if (calls < 3) throw new Error(`webhook answered 503 (call ${calls})`);
    });
    await enqueue(a, 't.flaky', { n: 1 });
    await a.app.get(OutboxWorker).deliverBatch();
    const [first] = await a.dataSource.query(`SELECT * FROM outbox WHERE topic = 't.flaky'`);
    expect(first.attempts).toBe(1);
    expect(first.last_error).toBe('webhook answered 503 (call 1)');
    expect(first.delivered_at).toBeNull();
    expect(new Date(first.available_at).getTime()).toBeGreaterThan(Date.now() + 400);
    // Not due yet: nothing is claimed.
    expect(await a.app.get(OutboxWorker).deliverBatch()).toBe(0);
    for (let i = 0; i < 2; i++) {
      await a.dataSource.query(`UPDATE outbox SET available_at = now() WHERE topic = 't.flaky'`);
      await a.app.get(OutboxWorker).deliverBatch();
    }
    const [done] = await a.dataSource.query(`SELECT * FROM outbox WHERE topic = 't.flaky'`);
    expect(done.attempts).toBe(3);
    expect(done.delivered_at).not.toBeNull();
    expect(retryDelayMs(1, () => 0)).toBe(1000);
    expect(retryDelayMs(30, () => 1)).toBe(600_000);
  });

  it('hands a batch handler all its messages at once, and isolates a poison message when the batch fails', async () => {
    const batches: number[][] = [];
    a.app.get(OutboxWorker).registerBatch('t.batch', async (messages) => {
      if (messages.some((msg) => msg.payload.n === 'poison')) throw new Error('cannot encode');
      batches.push(messages.map((msg) => Number(msg.payload.n)));
    });
    await a.dataSource.transaction(async (m) => {
      const events = [1, 2, 'poison', 3].map((n) => ({ orgId: null, topic: 't.batch', payload: { n } }));
      await a.app.get(OutboxService).enqueue(m, ...events);
    });
    await a.app.get(OutboxWorker).deliverBatch();
    // The batch failed as a whole, so each message went alone: three delivered, the poison one retried later.
    expect(batches).toEqual([[1], [2], [3]]);
    const rows = await a.dataSource.query(
      `SELECT payload->>'n' AS n, delivered_at, attempts, last_error FROM outbox WHERE topic = 't.batch' ORDER BY id`,
    );
    expect(rows.map((r: { n: string; delivered_at: Date | null }) => [r.n, r.delivered_at !== null])).toEqual([
      ['1', true],
      ['2', true],
      ['poison', false],
      ['3', true],
    ]);
    expect(rows[2].last_error).toBe('cannot encode');
    await a.dataSource.transaction((m) =>
      a.app.get(OutboxService).enqueue(m, ...[4, 5, 6].map((n) => ({ orgId: null, topic: 't.batch', payload: { n } }))),
    );
    await a.app.get(OutboxWorker).deliverBatch();
    expect(batches.at(-1)).toEqual([4, 5, 6]);
  });

  it('delivers each message once when two replicas work concurrently, and reports lag', async () => {
    const byA: number[] = [];
    const byB: number[] = [];
    a.app.get(OutboxWorker).register('t.many', async (msg) => void byA.push(Number(msg.payload.n)));
    b.app.get(OutboxWorker).register('t.many', async (msg) => void byB.push(Number(msg.payload.n)));
    await a.dataSource.transaction(async (m) => {
      const events = Array.from({ length: 200 }, (_, n) => ({ orgId: null, topic: 't.many', payload: { n } }));
      await a.app.get(OutboxService).enqueue(m, ...events);
    });
    const metrics = await fetch(`${a.metricsUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/outbox_pending \d+/);
    expect(metrics).toMatch(/outbox_lag_seconds [0-9.]+/);
    a.app.get(OutboxWorker).start();
    b.app.get(OutboxWorker).start();
    await until(async () => (byA.length + byB.length >= 200 ? true : undefined), 15000, '200 deliveries');
    await a.app.get(OutboxWorker).stop();
    await b.app.get(OutboxWorker).stop();
    const all = [...byA, ...byB].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
    expect((await fetch(`${a.url}/pki/nobody/roots.pem`)).status).toBe(404);
    const after = await fetch(`${a.metricsUrl}/metrics`).then((r) => r.text());
    expect(after).toMatch(/outbox_delivered_total\{topic="t.many"\} \d+/);
    // Request latency is labelled by route pattern, not by URL.
    expect(after).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/pki\/:org\/roots.pem",status="404"\} \d+/);
  });

  describe('leased lanes (handlers that call other systems)', () => {
    const lane = (name: string, over: Partial<LaneOptions> = {}): LaneOptions => ({
      lane: name,
      leaseMs: 30_000,
      perKeyConcurrency: 2,
      maxInFlight: 10,
      circuitAfterFailures: 3,
      ...over,
    });
    const enqueueKeyed = (t: TestApp, topic: string, key: string, n: number) =>
      t.dataSource.transaction((m) => t.app.get(OutboxService).enqueue(m, { orgId: null, topic, payload: { n }, key }));

    it('holds no transaction during the call, and a lease that ran out (replica killed) is claimed again', async () => {
      let release!: () => void;
      const stuck = new Promise<void>((r) => (release = r));
      const seenByA: number[] = [];
      a.app.get(OutboxWorker).registerLeased(
        't.lease',
        {
          call: async (msg) => {
            seenByA.push(Number(msg.payload.n));
            // the claim has committed (its lease is visible to others) and no transaction holds the row
            const [row] = await b.dataSource.transaction((m) => m.query(`SELECT lease_token FROM outbox WHERE id = $1 FOR UPDATE NOWAIT`, [msg.id]));
            expect(row.lease_token).not.toBeNull();
            await stuck;
          },
        },
        lane('test-lease', { leaseMs: 1500 }),
      );
      const settledByB: number[] = [];
      b.app
        .get(OutboxWorker)
        .registerLeased(
          't.lease',
          { call: async () => 'ok', settle: async (msg, outcome) => void (outcome.ok && settledByB.push(Number(msg.payload.n))) },
          lane('test-lease', { leaseMs: 1500 }),
        );
      await enqueueKeyed(a, 't.lease', 'receiver-1', 1);
      expect(await a.app.get(OutboxWorker).lane('test-lease')!.claimAndStart()).toBe(1);
      await until(async () => seenByA.length === 1, 2000, 'the call under way');
      // while A's lease runs, B claims nothing; after it ran out (A "was killed"), B takes it
      expect(await b.app.get(OutboxWorker).lane('test-lease')!.claimAndStart()).toBe(0);
      await until(async () => ((await b.app.get(OutboxWorker).lane('test-lease')!.claimAndStart()) > 0 ? true : undefined), 6000, 'a re-claim');
      await b.app.get(OutboxWorker).lane('test-lease')!.idle();
      expect(settledByB).toEqual([1]);
      // A's call ends late: its outcome is not recorded over B's
      release();
      await a.app.get(OutboxWorker).lane('test-lease')!.idle();
      const [row] = await a.dataSource.query(`SELECT attempts, delivered_at, lease_token FROM outbox WHERE topic = 't.lease'`);
      expect(row).toMatchObject({ attempts: 1, lease_token: null });
      expect(row.delivered_at).not.toBeNull();
    });

    it('limits calls per receiver, backs a failing receiver off, and leaves other receivers and the transactional lane alone', async () => {
      const worker = a.app.get(OutboxWorker);
      const calls: string[] = [];
      let blackHoled = 0;
      const waiting: (() => void)[] = [];
      worker.registerLeased(
        't.keyed',
        {
          call: async (msg, signal) => {
            calls.push(`${msg.key}:${msg.payload.n}`);
            if (msg.key === 'slow') {
              blackHoled += 1;
              await new Promise<void>((r) => {
                waiting.push(r);
                signal.addEventListener('abort', () => r());
              });
              throw new Error('timed out');
            }
          },
        },
        lane('test-keyed', { perKeyConcurrency: 2 }),
      );
      const fast: number[] = [];
      worker.register('t.db', async (msg) => void fast.push(Number(msg.payload.n)));
      for (let n = 0; n < 5; n++) await enqueueKeyed(a, 't.keyed', 'slow', n);
      for (let n = 0; n < 3; n++) await enqueueKeyed(a, 't.keyed', 'fine', n);
      await enqueue(a, 't.db', { n: 7 });
      const keyed = worker.lane('test-keyed')!;
      await keyed.claimAndStart();
      await keyed.claimAndStart();
      // two calls to the slow receiver, no more, across claims; the other receiver is served
      expect(blackHoled).toBe(2);
      // (at least two: a worker poll may already have claimed the third once the first two were recorded)
      await until(async () => calls.filter((c) => c.startsWith('fine')).length >= 2, 10_000, 'the fine receiver');
      // the third once the first two are recorded (their leases count until then)
      await until(
        async () => {
          await keyed.claimAndStart();
          return calls.filter((c) => c.startsWith('fine')).length === 3;
        },
        3000,
        'the third fine message',
      );
      expect(blackHoled).toBe(2);
      // the transactional lane does not wait for the leased one
      await worker.deliverBatch();
      expect(fast).toEqual([7]);
      // three failures in a row open the receiver's circuit: nothing of it is claimed, even when due
      for (let round = 0; round < 2; round++) {
        waiting.splice(0).forEach((r) => r());
        await keyed.idle();
        await a.dataSource.query(`UPDATE outbox SET available_at = now() WHERE topic = 't.keyed' AND delivered_at IS NULL`);
        await keyed.claimAndStart();
      }
      waiting.splice(0).forEach((r) => r());
      await keyed.idle();
      const [circuit] = await a.dataSource.query(`SELECT failures, open_until > now() AS open FROM outbox_lane_circuit WHERE lane = 'test-keyed'`);
      expect(circuit).toMatchObject({ failures: 4, open: true });
      const metrics = await fetch(`${a.metricsUrl}/metrics`).then((r) => r.text());
      expect(metrics).toContain('outbox_lane_held_off{lane="test-keyed"} 1');
      expect(metrics).toMatch(/outbox_lane_in_flight\{lane="test-keyed"\} 0/);
      await a.dataSource.query(`UPDATE outbox SET available_at = now() WHERE topic = 't.keyed' AND delivered_at IS NULL`);
      const before = blackHoled;
      expect(await keyed.claimAndStart()).toBe(0);
      expect(blackHoled).toBe(before);
      const [failed] = await a.dataSource.query(
        `SELECT max(attempts)::int AS attempts, min(last_error) AS error FROM outbox WHERE topic = 't.keyed' AND lane_key = 'slow'`,
      );
      expect(failed).toMatchObject({ attempts: 2, error: 'timed out' });
    });
  });
});
