#!/usr/bin/env node
// `npm run demo`: the whole story in one command, on the embedded database and the DEV IdP.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  commitPendingRemovals,
  generateDeviceKeys,
  IdentityClient,
  keyBoundNonce,
  receiveExternalProposal,
  type RemovalCommitPolicy,
} from '#client-sdk';
import { createGroupWithExternalSenders, decodeMlsMessageBytes } from '#mls';
import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  emptyPskIndex,
  encodeMlsMessage,
  joinGroup,
  processMessage,
  processPrivateMessage,
  type MLSMessage,
} from 'ts-mls';
import { devIdTokenFor } from '../dev-sign-in.js';
import { DemoDeliveryService, demoSuite, memberOf, type DemoMember } from './demo-members.js';
import { startDemoService, type DemoService } from './demo-service.js';
import { check, StepFailed, StepRunner } from './demo-steps.js';

const run = promisify(execFile);
const MLSID_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const enc = new TextEncoder();
const dec = new TextDecoder();
const say = (line: string) => process.stdout.write(`${line}\n`);

const PEOPLE = ['alice', 'bob', 'carol'] as const;
const DEVICES = [
  { label: 'alice-laptop', login: 'alice' },
  { label: 'bob-laptop', login: 'bob' },
  { label: 'bob-phone', login: 'bob' },
  { label: 'carol-laptop', login: 'carol' },
] as const;

async function scim(svc: DemoService, method: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const { baseUrl, org, scimToken } = svc.credentials;
  const res = await fetch(`${baseUrl}/scim/v2/${org}${path}`, {
    method,
    headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs the mlsid CLI as a user would, in the demo's directory (it reads ./.data/dev-credentials.json). */
async function mlsid(svc: DemoService, ...args: string[]): Promise<string[]> {
  try {
    const { stdout } = await run(process.execPath, [MLSID_MAIN, ...args], { cwd: svc.workDir, timeout: 30_000 });
    return stdout.trim().split('\n');
  } catch (e) {
    const failed = e as { code?: number; stderr?: string };
    throw new Error(`mlsid ${args.join(' ')} exited ${failed.code}: ${(failed.stderr ?? '').trim()}`, { cause: e });
  }
}

/** Every member but `from` reads `from`'s message; states advance. */
async function broadcast(from: DemoMember, text: string, readers: DemoMember[]): Promise<number> {
  const cs = await demoSuite();
  const sent = await createApplicationMessage(from.state!, enc.encode(text), cs);
  from.state = sent.newState;
  let read = 0;
  for (const r of readers) {
    const got = await processPrivateMessage(r.state!, sent.privateMessage, emptyPskIndex, cs);
    check(got.kind === 'applicationMessage' && dec.decode(got.message) === text, `${r.label} did not read ${from.label}'s message`);
    r.state = got.newState;
    read += 1;
  }
  return read;
}

async function story(steps: StepRunner, started: { svc?: DemoService }): Promise<void> {
  const svc = await steps.step('start the service', async () => {
    const s = await startDemoService();
    started.svc = s;
    return {
      value: s,
      line: `service up in DEV mode on a fresh embedded PostgreSQL at ${s.credentials.baseUrl} (DEV IdP ${s.credentials.idp.issuer})`,
    };
  });
  const { baseUrl, org, dsToken } = svc.credentials;
  const ds = new DemoDeliveryService(baseUrl, dsToken);

  const accounts = await steps.step('provision people over SCIM', async () => {
    const ids: Record<string, string> = {};
    for (const login of PEOPLE) {
      const upn = `${login}@demo.example`;
      const res = await scim(svc, 'POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        externalId: `entra-${login}`,
        userName: upn,
        active: true,
        displayName: login[0]!.toUpperCase() + login.slice(1),
        emails: [{ primary: true, type: 'work', value: upn }],
      });
      check(res.status === 201, `SCIM POST /Users for ${login} answered ${res.status}: ${JSON.stringify(res.body)}`);
      ids[login] = res.body.id;
    }
    return { value: ids, line: `SCIM provisioned ${PEOPLE.join(', ')} in org "${org}" (POST /scim/v2/${org}/Users)` };
  });

  const client = new IdentityClient({ baseUrl, org });
  const members = await steps.step('enroll four devices through OIDC', async () => {
    const out: DemoMember[] = [];
    for (const d of DEVICES) {
      const keys = await generateDeviceKeys(1);
      const idToken = await devIdTokenFor(svc.credentials.idp, d.login, await keyBoundNonce(keys));
      const device = await client.enroll({ flow: 'token', keys, idToken, deviceName: d.label, platform: 'demo' });
      check(device.accountId === accounts[d.login], `${d.label} was enrolled into account ${device.accountId}, not ${d.login}'s`);
      out.push(await memberOf(d.label, d.login, device));
    }
    return {
      value: out,
      line: `enrolled ${out.map((m) => m.label).join(', ')} through OIDC sign-ins at the DEV IdP with the SDK (X.509 credentials, suite 1)`,
    };
  });
  const [alice, bobLaptop, bobPhone, carol] = members as [DemoMember, DemoMember, DemoMember, DemoMember];
  const bobs = [bobLaptop, bobPhone];

  const senders = await steps.step('fetch the external sender', async () => {
    const s = await client.externalSenders(1);
    return {
      value: s,
      line: `fetched the service's external sender (GET /v1/orgs/${org}/mls/external-senders), certified by the org CA as its removal service`,
    };
  });

  await steps.step('create the group and add everyone', async () => {
    const cs = await demoSuite();
    const created = await createGroupWithExternalSenders(enc.encode('demo-room'), alice.publicPackage, alice.privatePackage, [senders.extension], cs);
    await ds.report(created);
    const others = [bobLaptop, bobPhone, carol];
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      {
        extraProposals: others.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })),
        ratchetTreeExtension: true,
        wireAsPublicMessage: true,
      },
    );
    const verdict = await ds.authorize(created, encodeMlsMessage(added.commit));
    check(verdict.allow, `the DS may not accept the Add commit: ${verdict.reasons.map((r) => r.code).join(', ')}`);
    alice.state = added.newState;
    for (const o of others) o.state = await joinGroup(added.welcome!, o.publicPackage, o.privatePackage, emptyPskIndex, cs);
    return {
      value: undefined,
      line: `alice created "demo-room" with the service as external sender and added bob-laptop, bob-phone, carol-laptop (commit authorized by the service)`,
    };
  });

  await steps.step('report the GroupInfo', async () => {
    const r = await ds.report(alice.state!);
    check(r.epoch === '1' && r.members === 4 && r.externalSenderListed === true, `unexpected report answer ${JSON.stringify(r)}`);
    return { value: undefined, line: `the DS reported the GroupInfo (PUT /v1/ds/groups/…): epoch 1, 4 members, external sender listed` };
  });

  await steps.step('exchange messages', async () => {
    const a = await broadcast(alice, 'Hello everyone', [bobLaptop, bobPhone, carol]);
    const b = await broadcast(bobPhone, 'Hi from my phone', [alice, bobLaptop, carol]);
    const c = await broadcast(carol, 'Hi all', [alice, bobLaptop, bobPhone]);
    return {
      value: undefined,
      line: `alice, bob-phone and carol sent messages; every one read by the ${a} other devices (${a + b + c} decryptions)`,
    };
  });

  const cursor = (await ds.feed('0', 0)).cursor;
  const deprovisionedAt = await steps.step('deprovision bob over SCIM (Entra dialect)', async () => {
    const res = await scim(svc, 'PATCH', `/Users/${accounts.bob}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    check(res.status === 204 || res.status === 200, `SCIM PATCH answered ${res.status}: ${JSON.stringify(res.body)}`);
    return {
      value: Date.now(),
      line: `bob deprovisioned over SCIM in Entra's dialect (PATCH {"op":"Replace","path":"active","value":"False"} → ${res.status}): his devices and certificates revoked`,
    };
  });

  const removals = await steps.step('signed removals in the feed', async () => {
    const found: any[] = [];
    let after = cursor;
    while (found.length < 2 && Date.now() - deprovisionedAt < 10_000) {
      const page = await ds.feed(after, 1);
      found.push(...page.removals);
      after = page.cursor;
    }
    const bobDevices = new Set(bobs.map((b) => b.device.deviceId));
    check(
      found.length === 2 && found.every((r) => bobDevices.has(r.deviceId)),
      `expected 2 removals of bob's devices, the feed has ${JSON.stringify(found.map((r) => r.deviceId))}`,
    );
    const leaves = found
      .map((r) => r.leafIndex)
      .sort()
      .join(' and ');
    return {
      value: found,
      line: `2 signed external Remove proposals for leaves ${leaves} in the removals feed (GET /v1/ds/removals) ${Date.now() - deprovisionedAt} ms after the SCIM request`,
    };
  });

  await steps.step('alice commits the removals', async () => {
    const aliceLeaf = alice.state!.privatePath.leafIndex;
    const policy: RemovalCommitPolicy = { kind: 'lowest-admin-online', isAdmin: (leaf) => leaf === aliceLeaf, isOnline: () => true };
    const proposals = removals.map((r) => new Uint8Array(Buffer.from(r.proposal, 'base64')));
    let aliceCommitsIn: number | null = null;
    for (const p of proposals) {
      for (const m of [alice, carol]) {
        // each member checks, with its own device session, that the removed member's certificate is revoked
        const outcome = await receiveExternalProposal(m.state!, p, policy, client.session(m.device).removedMemberRevoked);
        check(outcome.admitted, `the receiver guard of ${m.label} refused a service proposal: ${outcome.admitted ? '' : outcome.reason}`);
        m.state = outcome.state;
        if (m === alice) aliceCommitsIn = outcome.commitInMs;
      }
    }
    check(aliceCommitsIn === 0, `the commit policy did not pick alice (room admin) to commit now`);
    const before = alice.state!;
    const commit = await commitPendingRemovals(before, { wireAsPublicMessage: true });
    const verdict = await ds.authorize(before, commit.commit);
    check(verdict.allow, `the DS may not accept alice's commit: ${verdict.reasons.map((r) => r.code).join(', ')}`);
    alice.state = commit.newState;
    const message = decodeMlsMessageBytes(commit.commit) as MLSMessage & { wireformat: 'mls_public_message' };
    const cs = await demoSuite();
    carol.state = (await processMessage(message, carol.state!, emptyPskIndex, acceptAll, cs)).newState;
    check(carol.state.groupContext.epoch === 2n, 'carol did not follow the commit to epoch 2');
    return {
      value: undefined,
      line: `alice's and carol's receiver guards admitted both proposals (group, epoch, sender, signature); alice, the room admin, committed them by reference (leaves ${commit.removed.sort().join(', ')} removed, epoch 2)`,
    };
  });

  await steps.step('report the new epoch', async () => {
    const r = await ds.report(alice.state!);
    check(r.epoch === '2' && r.members === 2 && r.removals?.committed === 2, `unexpected report answer ${JSON.stringify(r)}`);
    return { value: undefined, line: `the DS reported epoch 2: 2 members left, the service marked both removals committed` };
  });

  await steps.step('removed devices cannot decrypt', async () => {
    const cs = await demoSuite();
    const next = await createApplicationMessage(alice.state!, enc.encode('Bob has left the company'), cs);
    alice.state = next.newState;
    for (const b of bobs) {
      const outcome = await processPrivateMessage(b.state!, next.privateMessage, emptyPskIndex, cs).then(
        () => 'decrypted',
        () => 'refused',
      );
      check(outcome === 'refused', `${b.label} could still decrypt the next message`);
    }
    const read = await processPrivateMessage(carol.state!, next.privateMessage, emptyPskIndex, cs);
    check(read.kind === 'applicationMessage' && dec.decode(read.message) === 'Bob has left the company', 'carol could not read the next message');
    return { value: undefined, line: `bob-laptop and bob-phone fail to decrypt alice's next message; carol reads it` };
  });

  await steps.step('mlsid log verify', async () => {
    // the deprovisioning's log entries are sequenced within a second or so: wait until they are
    await waitForHistory(svc, accounts.bob!, 5_000);
    const lines = await mlsid(svc, 'log', 'verify');
    const last = lines.at(-1) ?? '';
    check(last.startsWith('ok '), `unexpected output: ${lines.join(' | ')}`);
    return { value: undefined, line: `mlsid log verify: checkpoint signature and full replay hold (${last.replace(/ root .*/, '')})` };
  });

  await steps.step('mlsid log account (bob)', async () => {
    const lines = await mlsid(svc, 'log', 'account', '--account', accounts.bob!);
    const last = lines.at(-1) ?? '';
    check(last.startsWith(`ok account ${accounts.bob}`), `unexpected output: ${lines.join(' | ')}`);
    const count = (type: string) => lines.filter((l) => l.includes(` ${type}`)).length;
    const enrolled = count('device_enrolled');
    const revoked = count('certificate_revoked');
    check(enrolled === 2 && revoked === 2 && count('account_deprovisioned') === 1, `bob's history lacks entries: ${lines.join(' | ')}`);
    return {
      value: undefined,
      line: `mlsid log account: bob's history is complete and proven: ${enrolled} devices enrolled, ${revoked} certificates revoked, account deprovisioned`,
    };
  });
}

/** Polls bob's account history until it shows the deprovisioning (the log sequences in batches). */
async function waitForHistory(svc: DemoService, accountId: string, timeoutMs: number): Promise<void> {
  const { baseUrl, org, dsToken } = svc.credentials;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${baseUrl}/kt/${org}/accounts/${accountId}`, { headers: { authorization: `Bearer ${dsToken}` } });
    const body = res.status === 200 ? ((await res.json()) as { entries?: { type: string }[] }) : {};
    if (body.entries?.some((e) => e.type === 'account_deprovisioned')) return;
    if (Date.now() > deadline) throw new StepFailed(`bob's deprovisioning is not in the log after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<number> {
  say('mls-identity demo: three people, four devices, one MLS group, one deprovisioning\n');
  const steps = new StepRunner(say);
  const started: { svc?: DemoService } = {};
  const interrupted = () => {
    void started.svc?.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let code = 0;
  try {
    await story(steps, started);
  } catch (e) {
    code = 1;
    if (!(e instanceof StepFailed)) say(`demo failed: ${(e as Error)?.message ?? String(e)}`);
    const tail = started.svc?.output().trim().split('\n').slice(-5).join('\n');
    if (tail) say(`\nlast service output:\n${tail}`);
  } finally {
    await started.svc?.stop();
  }
  say(code === 0 ? `\ndemo complete: every step held in ${steps.elapsed}; service stopped` : `\ndemo FAILED after ${steps.elapsed}; service stopped`);
  return code;
}

process.exitCode = await main();
