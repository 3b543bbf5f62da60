import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { encodeKeyEvent, hashLeaf, rootFromHashes, verifyConsistencyProof, verifyInclusionProof } from '#tlog';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { loadConfig } from '../../apps/identity-service/src/config/app-config.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { OutboxService } from '../../apps/identity-service/src/outbox/outbox.service.js';
import { OutboxWorker } from '../../apps/identity-service/src/outbox/outbox.worker.js';
import { ktAppend } from '../../apps/identity-service/src/transparency/kt-event.js';
import { KtReader } from '../../apps/identity-service/src/transparency/kt-reader.service.js';
import { KtSequencer } from '../../apps/identity-service/src/transparency/kt-sequencer.js';
import { postgresHashReader } from '../../apps/identity-service/src/transparency/postgres-hash-reader.js';
import { benchDatabase, latencyFields, line, timeEach } from './bench-support.js';

/**
 * Key-transparency log on PostgreSQL:
 *  - sustained appends/s through the sequencer (staged events → entries, subtree hashes,
 *    size/root and a signed checkpoint per batch), and end to end through the outbox;
 *  - inclusion and consistency proof latency on a large log (KT_BENCH_SIZE entries, default
 *    1,000,000; the target is 10,000,000, which takes about ten times as long to
 *    build: set KT_BENCH_SIZE=10000000), in-process and over HTTP;
 *  - proof sizes against 32·⌈log2 N⌉ bytes.
 */
export default async function bench(): Promise<void> {
  const size = Number(process.env.KT_BENCH_SIZE ?? 1_000_000);
  const batchSize = Number(process.env.KT_BENCH_BATCH ?? 10_000);
  const db = await benchDatabase();
  await runMigrations(db.url);
  process.env.KT_SEQUENCER = 'off';
  process.env.OUTBOX_WORKER = 'off';
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    KEK: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PORT: '0',
    LOG_LEVEL: 'silent',
    KT_BATCH_SIZE: String(batchSize),
    OUTBOX_BATCH_SIZE: '1000',
  });
  const app: INestApplication = await createApp(config, db.url);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const ds = app.get<DataSource>(getDataSourceToken());
  try {
    const org = await app.get(OrgsService).create('bench', 'bench', 'Bench');
    const dsToken = (await app.get(CredentialsService).createDsClient('bench', org, 'bench', null)).token;
    const sequencer = app.get(KtSequencer);
    let nextSource = 1_000_000_000;

    /** Stages n events as the outbox handler would (encoded entries in kt_pending). */
    const stage = async (n: number) => {
      for (let done = 0; done < n;) {
        const chunk = Math.min(20_000, n - done);
        const accounts = Array.from({ length: chunk }, () => randomUUID());
        const entries = accounts.map((account, i) =>
          Buffer.from(
            encodeKeyEvent({
              type: 'certificate_issued',
              org: org.id,
              account,
              device: randomUUID(),
              certificateSha256: randomBytes(32),
              mlsSignatureKeySha256: randomBytes(32),
              timestamp: Date.now() + i,
            }),
          ),
        );
        await ds.query(
          `INSERT INTO kt_pending (org_id, source_id, entry, account_id) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::text[])`,
          [org.id, accounts.map(() => String(nextSource++)), entries, accounts],
        );
        done += chunk;
      }
    };
    const drain = async () => {
      let appended = 0;
      for (;;) {
        const batch = await sequencer.sequenceBatch(org.id);
        if (!batch || batch.to === batch.from) return appended;
        appended += batch.to - batch.from;
      }
    };

    // 1. Sustained sequencer throughput on a fresh log.
    const sustained = Math.min(size, 200_000);
    await stage(sustained);
    let t0 = performance.now();
    const appended = await drain();
    let seconds = (performance.now() - t0) / 1000;
    line('sequencer appends (batched, signed ckpt/batch)', {
      entries: appended,
      batch: batchSize,
      per_s: Math.round(appended / seconds),
      target_per_s: 5000,
    });

    // 2. End to end: outbox message → staged → sequenced (one worker, batches of 1000).
    const viaOutbox = 20_000;
    for (let i = 0; i < viaOutbox; i += 1000) {
      await ds.transaction((m) =>
        app.get(OutboxService).enqueue(
          m,
          ...Array.from({ length: 1000 }, () =>
            ktAppend({
              type: 'device_enrolled',
              orgId: org.id,
              accountId: randomUUID(),
              deviceId: randomUUID(),
              timestamp: new Date().toISOString(),
            }),
          ),
        ),
      );
    }
    t0 = performance.now();
    const worker = app.get(OutboxWorker);
    let staged = 0;
    while (staged < viaOutbox) staged += await worker.deliverBatch();
    const stagedAt = performance.now();
    const e2e = await drain();
    seconds = (performance.now() - t0) / 1000;
    line('outbox → log end to end (1 worker)', {
      entries: e2e,
      per_s: Math.round(e2e / seconds),
      staging_per_s: Math.round(viaOutbox / ((stagedAt - t0) / 1000)),
    });

    // 3. Grow to the large log through the same sequencer.
    const rest = Math.max(0, size - (await app.get(KtReader).latestCheckpoint(org.id)).size);
    t0 = performance.now();
    for (let done = 0; done < rest;) {
      const chunk = Math.min(200_000, rest - done);
      await stage(chunk);
      done += await drain();
    }
    seconds = (performance.now() - t0) / 1000;
    const latest = await app.get(KtReader).latestCheckpoint(org.id);
    const n = latest.size;
    if (rest > 0) {
      line('log built (stage + sequence)', { entries: n, seconds, per_s: Math.round(rest / seconds) });
      line('  building 10M entries would take about', { seconds: Math.round(10_000_000 / (rest / seconds)) });
    }
    await ds.query('ANALYZE kt_subtree');
    await ds.query('ANALYZE kt_entry');

    // 4. Proof latency against the latest checkpoint (p99 target ≤ 2 ms at 10M).
    const reader = app.get(KtReader);
    const rnd = (below: number) => Math.floor(Math.random() * below);
    const log2 = Math.ceil(Math.log2(n));
    let maxInclusion = 0;
    let maxConsistency = 0;
    const entryAt = async (i: number) =>
      new Uint8Array((await ds.query(`SELECT entry FROM kt_entry WHERE org_id = $1 AND idx = $2`, [org.id, String(i)]))[0].entry);
    // Correctness spot checks before timing.
    for (let k = 0; k < 20; k++) {
      const i = rnd(n);
      verifyInclusionProof(i, n, hashLeaf(await entryAt(i)), await reader.inclusionProof(org.id, i, n), latest.rootHash);
      const m = 1 + rnd(n - 1);
      const oldRoot = await rootFromHashes(m, postgresHashReader(ds, org.id));
      verifyConsistencyProof(m, n, oldRoot, latest.rootHash, await reader.consistencyProof(org.id, m, n));
    }
    const inclusion = await timeEach(5000, async () => {
      const proof = await reader.inclusionProof(org.id, rnd(n), n);
      maxInclusion = Math.max(maxInclusion, proof.length);
    });
    line('inclusion proof (service, 1 query)', { size: n, ...latencyFields(inclusion) });
    const consistency = await timeEach(5000, async () => {
      const proof = await reader.consistencyProof(org.id, 1 + rnd(n - 1), n);
      maxConsistency = Math.max(maxConsistency, proof.length);
    });
    line('consistency proof (service, 1 query)', { size: n, ...latencyFields(consistency) });
    const http = await timeEach(2000, async () => {
      const res = await fetch(`${url}/kt/bench/proof/inclusion?index=${rnd(n)}&size=${n}`, { headers: { authorization: `Bearer ${dsToken}` } });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      await res.json();
    });
    line('inclusion proof over HTTP (auth + JSON)', { size: n, ...latencyFields(http) });

    // 5. Proof sizes. RFC 9162 inclusion proofs have at most ⌈log2 N⌉ hashes; consistency
    // proofs may need one more (the old tree's own subtree hash when m is not a power of two).
    line('proof sizes (bytes)', {
      max_inclusion: maxInclusion * 32,
      max_consistency: maxConsistency * 32,
      bound_32_ceil_log2_n: 32 * log2,
      inclusion_ratio: (maxInclusion * 32) / (32 * log2),
      consistency_ratio: (maxConsistency * 32) / (32 * log2),
    });
    const [{ bytes }] = await ds.query(`SELECT pg_database_size(current_database())::bigint AS bytes`);
    line('database size', { mib: Math.round(Number(bytes) / 2 ** 20), bytes_per_entry: Math.round(Number(bytes) / n) });
  } finally {
    await app.close();
    await db.drop();
  }
}
