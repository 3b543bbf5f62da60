import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import path from 'node:path';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { generateConsistencyProof, openCheckpoint, parseVerifierKey, verifyConsistencyProof } from '#tlog';
import { PollingLoop } from '../common/polling-loop.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { ReadinessChecks } from '../health/index.js';
import { Metrics } from '../metrics/index.js';
import { CheckpointWitness, type WitnessedNote } from './checkpoint-witness.js';
import { allLogs, latestCheckpoint, type LogState } from './kt-log.queries.js';
import { KtLogs } from './kt-logs.service.js';
import { postgresHashReader, type Querier } from './postgres-hash-reader.js';

/** How often every log is compared with the witness, and checkpoints of other replicas recorded. */
const SWEEP_MS = 5000;

/**
 * Keeps each log from forking after a database restore. The latest checkpoint seen published
 * is recorded in the witness directory (KT_WITNESS_DIR), which lives outside the database. Before
 * the sequencer signs, and every few seconds for every log, the log in the database must extend
 * every witnessed checkpoint of its origin (same key, size at least as large, consistency proof);
 * otherwise the log is refused: nothing more is signed for it, the refusal is logged, counted in
 * `kt_logs_refused` and makes readiness answer `kt_log_rolled_back`, until the database holds a
 * log that extends the witness again (a newer backup) or an operator resolves it
 * (docs/operations.md, "Disaster recovery").
 */
@Injectable()
export class KtLogGuard implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(KtLogGuard.name);
  private readonly witness?: CheckpointWitness;
  /** Refused logs: org id → origin and why. */
  private readonly refused = new Map<string, { origin: string; reason: string }>();
  private readonly loop: PollingLoop;
  /** Per log, the last head and witness found consistent: unchanged, they need no new proof. */
  private readonly verified = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly logs: KtLogs,
    metrics: Metrics,
    readiness: ReadinessChecks,
  ) {
    if (config.kt.witnessDir) this.witness = new CheckpointWitness(config.kt.witnessDir);
    this.loop = new PollingLoop(
      async () => {
        await this.sweep();
        return 0;
      },
      () => SWEEP_MS,
      (e) => this.log.error(`checkpoint witness sweep failed: ${e.message}`),
    );
    const guard = this;
    new Gauge({
      name: 'kt_logs_refused',
      help: 'key-transparency logs whose database state does not extend a checkpoint already published; nothing is signed for them',
      registers: [metrics.registry],
      collect() {
        this.set(guard.refused.size);
      },
    });
    // Readiness is public: it says that and how many, the service log says which and why.
    readiness.register('kt-log-guard', () =>
      this.refused.size === 0
        ? null
        : {
            code: 'kt_log_rolled_back',
            message: `${this.refused.size} key-transparency log(s) do not extend a checkpoint already published; nothing is signed for them (see the service log)`,
          },
    );
  }

  onApplicationBootstrap(): void {
    if (!this.witness) {
      this.log.warn('KT_WITNESS_DIR is not set: a database restore that rolls a key-transparency log back cannot be detected');
      return;
    }
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Refused logs right now (org ids). */
  refusedLogs(): string[] {
    return [...this.refused.keys()];
  }

  /** Why the org's log is refused, if it is. */
  refusal(orgId: string): string | undefined {
    return this.refused.get(orgId)?.reason;
  }

  /**
   * Null when `log` (as read in the caller's transaction) extends every witnessed checkpoint of
   * its origin; otherwise why not, and the log is refused until a later check passes. `notes`:
   * the witness directory as already read by the caller (a sweep reads it once for every log).
   */
  async check(db: Querier, log: LogState, notes?: readonly WitnessedNote[]): Promise<string | null> {
    if (!this.witness) return null;
    const reason = await this.inconsistency(db, log, notes ?? (await this.witness.notes()));
    const was = this.refused.get(log.orgId);
    if (reason && was?.reason !== reason) {
      this.log.error(
        `key-transparency log ${log.origin}: refusing to sign a checkpoint that does not extend one already published: ${reason}. ` +
          'Restore a backup that holds the published log, or see docs/operations.md "Disaster recovery".',
      );
      this.refused.set(log.orgId, { origin: log.origin, reason });
    } else if (!reason && was) {
      this.log.warn(`key-transparency log ${log.origin} extends every published checkpoint again; signing resumes`);
      this.refused.delete(log.orgId);
    }
    return reason;
  }

  /** After a commit that published `note`: the witness now promises it. */
  async published(origin: string, size: number, note: string): Promise<void> {
    if (!this.witness) return;
    try {
      await this.witness.record(origin, size, note);
    } catch (e) {
      this.log.error(`cannot record checkpoint ${size} of ${origin} in ${this.witness.dir}: ${(e as Error).message}`);
    }
  }

  /** Every log: checked against the witness, and its latest checkpoint (any replica's) recorded. */
  async sweep(): Promise<void> {
    if (!this.witness) return;
    const notes = await this.witness.notes();
    const witnessed = new Map<string, number>();
    for (const n of notes) witnessed.set(n.origin, Math.max(witnessed.get(n.origin) ?? -1, Number(n.note.split('\n', 2)[1])));
    for (const log of await allLogs(this.dataSource)) {
      if (await this.check(this.dataSource, log, notes)) continue;
      if ((witnessed.get(log.origin) ?? -1) >= log.size) continue;
      const latest = await latestCheckpoint(this.dataSource, log.orgId);
      if (latest) await this.published(log.origin, latest.size, latest.note);
    }
  }

  private async inconsistency(db: Querier, log: LogState, witnessed: readonly WitnessedNote[]): Promise<string | null> {
    const notes = witnessed.filter((n) => n.origin === log.origin);
    if (notes.length === 0) return null;
    const state = `${log.size}:${Buffer.from(log.rootHash).toString('hex')}:${notes.map((n) => n.note).join('\n')}`;
    if (this.verified.get(log.orgId) === state) return null;
    const verifier = parseVerifierKey(await this.logs.verifierKey(log));
    for (const witnessed of notes) {
      const file = path.basename(witnessed.file);
      let published;
      try {
        published = openCheckpoint(witnessed.note, [verifier], log.origin).checkpoint;
      } catch (e) {
        return `${file} holds a checkpoint of this origin that the log's key does not verify (${(e as Error).message})`;
      }
      if (published.size > log.size) {
        return `the database holds ${log.size} entries, but checkpoint ${published.size} (${file}) was already published`;
      }
      try {
        const proof = await generateConsistencyProof(published.size, log.size, postgresHashReader(db, log.orgId));
        verifyConsistencyProof(published.size, log.size, published.rootHash, log.rootHash, proof);
      } catch (e) {
        return `the log in the database (size ${log.size}) does not extend published checkpoint ${published.size} (${file}): ${(e as Error).message}`;
      }
    }
    this.verified.set(log.orgId, state);
    return null;
  }
}
