import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createCommit, createGroupInfoWithExternalPubAndRatchetTree, encodeMlsMessage, type ClientState, type Extension } from 'ts-mls';
import type { DataSource } from 'typeorm';
import { ciphersuiteImpl, createGroupWithExternalSenders, signContent } from '#mls';
import { AccountDeprovisioningService } from '../../apps/identity-service/src/accounts/account-deprovisioning.service.js';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { loadConfig } from '../../apps/identity-service/src/config/app-config.js';
import { CommitAuthorizationService } from '../../apps/identity-service/src/delivery/commit-authorization.service.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { benchAccount, benchMember, type BenchMember } from './bench-members.js';
import { benchDatabase, latencyFields, line, timeEach } from './bench-support.js';

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
const GROUPS = 1000;
const DEVICES = 5;
const BIG_GROUP = 100;

type Member = BenchMember;
const member = (app: INestApplication, ds: DataSource, orgId: string, accountId: string) => benchMember(app, ds, orgId, accountId, SUITE);

async function groupWith(creator: Member, others: Member[], id: string, senders: Extension): Promise<ClientState> {
  const cs = await ciphersuiteImpl(SUITE);
  const created = await createGroupWithExternalSenders(new TextEncoder().encode(id), creator.publicPackage, creator.privatePackage, [senders], cs);
  const added = await createCommit(
    { state: created, cipherSuite: cs },
    { extraProposals: others.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })), wireAsPublicMessage: true },
  );
  return added.newState;
}

async function put(url: string, token: string, state: ClientState): Promise<void> {
  const cs = await ciphersuiteImpl(SUITE);
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], cs);
  const res = await fetch(`${url}/v1/ds/groups/${Buffer.from(state.groupContext.groupId).toString('base64url')}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      groupInfo: Buffer.from(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo })).toString('base64'),
    }),
  });
  if (res.status !== 200) throw new Error(`report failed: ${res.status} ${await res.text()}`);
}

/**
 * Deprovisioning fan-out (one account, 5 devices, 1,000 groups → 5,000 signed external
 * Removes durable and in the feed) against the bare cost of 5,000 Ed25519 signatures, and
 * commit authorization latency for 100-member groups.
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
    OUTBOX_POLL_MS: '20',
  });
  const app = await createApp(config, db.url);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const ds = app.get<DataSource>(getDataSourceToken());
  try {
    const org = await app.get(OrgsService).create('bench', 'bench', 'Bench');
    const orgId = org.id;
    const { token, row: dsClient } = await app.get(CredentialsService).createDsClient('bench', org, 'ds', null);
    const published = (await (await fetch(`${url}/v1/orgs/bench/mls/external-senders`)).json()) as {
      externalSenders: { ciphersuite: number; externalSendersExtensionData: string }[];
    };
    const senders: Extension = {
      extensionType: 'external_senders',
      extensionData: new Uint8Array(Buffer.from(published.externalSenders.find((s) => s.ciphersuite === 1)!.externalSendersExtensionData, 'base64')),
    };

    // setup: Dana's 5 devices in 1,000 groups created by Alice (KeyPackages reused across groups to keep setup short)
    const alice = await member(app, ds, orgId, await benchAccount(ds, orgId, 'alice@bench.example'));
    const danaAccount = await benchAccount(ds, orgId, 'dana@bench.example');
    const dana: Member[] = [];
    for (let i = 0; i < DEVICES; i++) dana.push(await member(app, ds, orgId, danaAccount));
    const setup0 = performance.now();
    for (let g = 0; g < GROUPS; g++) await put(url, token, await groupWith(alice, dana, `fanout-${g}`, senders));
    line('setup: groups reported', { groups: GROUPS, seconds: (performance.now() - setup0) / 1000 });

    // the bare cost: 5,000 Ed25519 signatures over SignContent-sized inputs, same process, same run
    const bareKey = generateKeyPairSync('ed25519').privateKey;
    const content = signContent('FramedContentTBS', randomBytes(60));
    const bare0 = performance.now();
    for (let i = 0; i < GROUPS * DEVICES; i++) sign(null, content, bareKey);
    const bareMs = performance.now() - bare0;

    // fan-out: deprovision commits, the outbox worker plans and signs, the feed holds them all
    const t0 = performance.now();
    await ds.transaction((m) =>
      app.get(AccountDeprovisioningService).deprovision(m, { orgId, accountId: danaAccount, actor: 'bench', mode: 'deactivate' }),
    );
    const committedAt = performance.now();
    let durable = 0;
    while (durable < GROUPS * DEVICES && performance.now() - t0 < 120_000) {
      durable = (await ds.query(`SELECT count(*)::int AS n FROM removal WHERE org_id = $1`, [orgId]))[0].n;
      if (durable < GROUPS * DEVICES) await new Promise((r) => setTimeout(r, 5));
    }
    const durableMs = performance.now() - t0;
    let inFeed = 0;
    let cursor = '0';
    const feed0 = performance.now();
    for (;;) {
      const page = (await (
        await fetch(`${url}/v1/ds/removals?after=${cursor}&limit=1000`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        removals: unknown[];
        cursor: string;
      };
      if (page.removals.length === 0) break;
      inFeed += page.removals.length;
      cursor = page.cursor;
    }
    const feedMs = performance.now() - feed0;
    line('fan-out: deprovision transaction', { ms: committedAt - t0 });
    line('fan-out: 5,000 proposals signed + durable', { proposals: durable, ms: durableMs, target_ms: 1000 });
    line('fan-out: feed read (5 pages of 1,000)', { proposals: inFeed, ms: feedMs });
    line('bare: 5,000 Ed25519 node:crypto signatures', { ms: bareMs });
    line('ratio fan-out/bare signatures', { ratio: durableMs / bareMs });

    // commit authorization for a 100-member group: Alice adds one more valid device
    const people: Member[] = [];
    for (let i = 0; i < BIG_GROUP - 1; i++) people.push(await member(app, ds, orgId, await benchAccount(ds, orgId, `member${i}@bench.example`)));
    const big = await groupWith(alice, people, 'big-room', senders);
    await put(url, token, big);
    const newcomer = await member(app, ds, orgId, await benchAccount(ds, orgId, 'newcomer@bench.example'));
    const cs = await ciphersuiteImpl(SUITE);
    const add = await createCommit(
      { state: big, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: newcomer.publicPackage } }], wireAsPublicMessage: true },
    );
    const body = JSON.stringify({ commit: Buffer.from(encodeMlsMessage(add.commit)).toString('base64') });
    const path = `${url}/v1/ds/groups/${Buffer.from('big-room').toString('base64url')}/commits/authorize`;
    const authorize = async () => {
      const res = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      const verdict = (await res.json()) as { allow: boolean };
      if (!verdict.allow) throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
    };
    await timeEach(20, authorize);
    const times = await timeEach(500, authorize);
    line('commit authorization, 100 members (HTTP)', { n: 500, ...latencyFields(times), target_p99_ms: 10 });
    // the same judgement without HTTP and bearer-token lookup: what the authorization itself costs
    const service = app.get(CommitAuthorizationService);
    const commitBytes = encodeMlsMessage(add.commit);
    const inProcess = await timeEach(500, async () => {
      const verdict = await service.authorize(orgId, dsClient.id, Buffer.from('big-room'), commitBytes, []);
      if (!verdict.allow) throw new Error('unexpected refusal');
    });
    line('commit authorization, 100 members (in-process)', { n: 500, ...latencyFields(inProcess) });
  } finally {
    await app.close();
    await db.drop();
  }
}
