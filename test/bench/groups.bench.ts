import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createCommit, createGroupInfoWithExternalPubAndRatchetTree, encodeMlsMessage, type ClientState, type Extension } from 'ts-mls';
import type { DataSource } from 'typeorm';
import { ciphersuiteImpl, createGroupWithExternalSenders } from '#mls';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { loadConfig } from '../../apps/identity-service/src/config/app-config.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { GroupRegistryService } from '../../apps/identity-service/src/removals/group-registry.service.js';
import { CommitAuthorizationService } from '../../apps/identity-service/src/delivery/commit-authorization.service.js';
import { benchAccount, benchMember, type BenchMember } from './bench-members.js';
import { benchDatabase, latencyFields, line, timeEach } from './bench-support.js';

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
/** `GROUP_SIZES=1000,10000 npm run bench groups`; members are generated once and shared by every size. */
const SIZES = (process.env.GROUP_SIZES ?? '1000,10000').split(',').map(Number);
const EPOCHS = 10;

/** Enrolled devices (device row, org-CA certificate) with KeyPackages, `count` of them, 8 at a time. */
async function members(app: INestApplication, ds: DataSource, orgId: string, count: number): Promise<BenchMember[]> {
  const one = async (i: number) => benchMember(app, ds, orgId, await benchAccount(ds, orgId, `m${i}@bench.example`), SUITE);
  const out: BenchMember[] = [];
  for (let i = 0; i < count; i += 8) out.push(...(await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, k) => one(i + k)))));
  return out;
}

async function groupInfoBytes(state: ClientState): Promise<Uint8Array> {
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], await ciphersuiteImpl(SUITE));
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo });
}

/**
 * MLS groups at enterprise size: the GroupInfo report of a whole group, the report of each next
 * epoch after a commit that changed one leaf (the committer's UpdatePath), and commit
 * authorization over HTTP, beside the bare signature verifications the work needs.
 */
export default async function bench(): Promise<void> {
  const db = await benchDatabase();
  await runMigrations(db.url);
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    KEK: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: `bench-${randomBytes(16).toString('hex')}`,
    PORT: '0',
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
  });
  const app = await createApp(config, db.url);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const ds = app.get<DataSource>(getDataSourceToken());
  try {
    const org = await app.get(OrgsService).create('bench', 'bench', 'Bench');
    const { token, row: dsClient } = await app.get(CredentialsService).createDsClient('bench', org, 'ds', null);
    const published = (await (await fetch(`${url}/v1/orgs/bench/mls/external-senders`)).json()) as {
      externalSenders: { ciphersuite: number; externalSendersExtensionData: string }[];
    };
    const senders: Extension = {
      extensionType: 'external_senders',
      extensionData: new Uint8Array(Buffer.from(published.externalSenders.find((s) => s.ciphersuite === 1)!.externalSendersExtensionData, 'base64')),
    };
    const largest = Math.max(...SIZES);
    const gen0 = performance.now();
    const everyone = await members(app, ds, org.id, largest + EPOCHS + 1);
    line('setup: enrolled devices + KeyPackages', { devices: everyone.length, seconds: (performance.now() - gen0) / 1000 });
    const registry = app.get(GroupRegistryService);
    const cs = await ciphersuiteImpl(SUITE);

    // the bare cost: one Ed25519 verification (node:crypto) of a LeafNodeTBS-sized input
    const bare = generateKeyPairSync('ed25519');
    const msg = randomBytes(900);
    const sig = sign(null, msg, bare.privateKey);
    const bare0 = performance.now();
    for (let i = 0; i < 2000; i++) verify(null, msg, bare.publicKey, sig);
    const bareVerifyMs = (performance.now() - bare0) / 2000;

    for (const size of SIZES) {
      const name = `big-${size}`;
      const build0 = performance.now();
      const created = await createGroupWithExternalSenders(
        new TextEncoder().encode(name),
        everyone[0]!.publicPackage,
        everyone[0]!.privatePackage,
        [senders],
        cs,
      );
      const added = await createCommit(
        { state: created, cipherSuite: cs },
        {
          extraProposals: everyone.slice(1, size).map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })),
          wireAsPublicMessage: true,
        },
      );
      let state = added.newState;
      const first = await groupInfoBytes(state);
      line(`setup: ${size}-member group built (ts-mls)`, { seconds: (performance.now() - build0) / 1000, groupInfo_bytes: first.length });

      // a whole group reported (first registration: every leaf verified and judged)
      const gid = Buffer.from(name);
      const full0 = performance.now();
      await registry.report(org.id, dsClient.id, gid, first);
      const fullMs = performance.now() - full0;
      line(`report: ${size} members, first (whole tree)`, { ms: fullMs, bare_ms: size * bareVerifyMs, bare: `${size} Ed25519 verifies` });

      // over HTTP, so the body cap is exercised with the whole group
      const http0 = performance.now();
      const res = await fetch(`${url}/v1/ds/groups/${gid.toString('base64url')}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ groupInfo: Buffer.from(first).toString('base64') }),
      });
      line(`report: ${size} members, same epoch (HTTP)`, { status: res.status, ms: performance.now() - http0 });
      if (res.status !== 200) await res.text();

      // commit authorization over HTTP: the creator adds one more device
      const add = await createCommit(
        { state, cipherSuite: cs },
        { extraProposals: [{ proposalType: 'add', add: { keyPackage: everyone[size]!.publicPackage } }], wireAsPublicMessage: true },
      );
      const body = JSON.stringify({ commit: Buffer.from(encodeMlsMessage(add.commit)).toString('base64') });
      const authorize = async () => {
        const r = await fetch(`${url}/v1/ds/groups/${gid.toString('base64url')}/commits/authorize`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
        const verdict = (await r.json()) as { allow: boolean };
        if (!verdict.allow) throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
      };
      await timeEach(10, authorize);
      const authTimes = await timeEach(200, authorize);
      line(`commit authorization, ${size} members (HTTP)`, {
        n: 200,
        ...latencyFields(authTimes),
        target_p99_ms: size >= 10_000 ? 30 : 10,
        bare_ms: 2 * bareVerifyMs,
        bare: '2 Ed25519 verifies (commit, KeyPackage)',
      });

      // the same judgement without HTTP and bearer-token lookup: what the authorization itself costs
      const service = app.get(CommitAuthorizationService);
      const commitBytes = encodeMlsMessage(add.commit);
      const inProcess = await timeEach(200, async () => {
        if (!(await service.authorize(org.id, dsClient.id, gid, commitBytes, [])).allow) throw new Error('unexpected refusal');
      });
      line(`commit authorization, ${size} members (in-process)`, { n: 200, ...latencyFields(inProcess) });

      // next epochs: each commit authorized (so continuity is proven), then its GroupInfo reported
      const epochTimes: number[] = [];
      // GROUP_BENCH_PROFILE=<file>: a CPU profile of the epoch reports alone
      const profiler = process.env.GROUP_BENCH_PROFILE ? new Session() : undefined;
      if (profiler) {
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
      }
      for (let e = 0; e < EPOCHS; e++) {
        const c = await createCommit(
          { state, cipherSuite: cs },
          { extraProposals: [{ proposalType: 'add', add: { keyPackage: everyone[size + 1 + e]!.publicPackage } }], wireAsPublicMessage: true },
        );
        await registry.recordCommit(await registry.require(org.id, gid), c.commit, encodeMlsMessage(c.commit), [], true);
        state = c.newState;
        const info = await groupInfoBytes(state);
        const t0 = performance.now();
        const r = await registry.report(org.id, dsClient.id, gid, info);
        epochTimes.push(performance.now() - t0);
        if (r.continuity !== 'seen_commit') throw new Error(`epoch report trusted as ${r.continuity}`);
      }
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(`${process.env.GROUP_BENCH_PROFILE}-${size}.cpuprofile`, JSON.stringify(profile));
        profiler.disconnect();
      }
      epochTimes.sort((a, b) => a - b);
      line(`report: ${size} members, next epoch (1 leaf added)`, {
        n: EPOCHS,
        ...latencyFields(epochTimes),
        target_ms: 50,
        bare_ms: 3 * bareVerifyMs,
        bare: '3 Ed25519 verifies (GroupInfo, new leaf, commit)',
      });
    }
    line('bare: one Ed25519 verify (node:crypto)', { ms: bareVerifyMs });
  } finally {
    await app.close();
    await db.drop();
  }
}
