import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { APP_CLIENT, newDeviceKey, nativeSignIn, PUBLIC_URL, SERVICE_CLIENT } from '../enrollment/enrollment-harness.js';
import { FakeDeliveryService } from '../removals/mls-clients.js';
import { CORE_USER } from '../scim/scim-org.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { call } from '../support/test-app.js';
import { startTestIdp, type TestIdp } from '../support/test-idp.js';
import {
  buildGroup,
  deprovision,
  isConnectionFailure,
  expectNothingLostNothingDoubled,
  logVerify,
  populate,
  Replica,
  tempDir,
  type Population,
  type PopulatedGroup,
} from './fault-harness.js';

/** How long the load runs: bounded, so the suite stays short on a 2-core machine. */
const LOAD_MS = Number(process.env.FAULT_LOAD_MS ?? 40000);
/** Time between SIGKILLs of replica B (it is restarted right after each). */
const KILL_EVERY_MS = 2000;

/**
 * issue 14 §6: two replicas under a mixed load (SCIM provisioning and deprovisioning, OIDC
 * enrollment, DS group reports, a removal-feed consumer) while one of them is killed with
 * SIGKILL and restarted again and again. Clients retry on another replica, as load balancers
 * and IdPs do. Afterwards: one linear log the CLI follows across the whole run, every
 * deprovisioned device's removal in the feed once, nothing lost, nothing doubled.
 */
describe('two replicas under mixed load while one is killed and restarted repeatedly', () => {
  const kek = randomBytes(32).toString('base64');
  let db: TestDatabase;
  let idp: TestIdp;
  let pop: Population;
  let a: Replica;
  let b: Replica;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const enrollees = ['e0', 'e1', 'e2', 'e3'];

  beforeAll(async () => {
    idp = await startTestIdp({
      profile: 'okta',
      clients: [
        { clientId: SERVICE_CLIENT.clientId, clientSecret: SERVICE_CLIENT.clientSecret, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] },
        { clientId: APP_CLIENT, redirectUris: ['http://127.0.0.1/app-callback'] },
      ],
      users: Object.fromEntries(enrollees.map((u) => [u, { email: `${u}@mixed.example`, sub: `00u${u}` }])),
    });
    db = await createTestDatabase();
    pop = await populate(db, kek, {
      slug: 'mixed',
      accounts: 12,
      devicesPerAccount: 1,
      groups: 4,
      perGroup: 4,
      setup: async (t, org) => {
        await t.app.get(OrgsService).addIdpConnection('test', org, {
          name: 'okta',
          kind: 'okta',
          issuer: idp.issuer,
          clientId: SERVICE_CLIENT.clientId,
          clientSecret: SERVICE_CLIENT.clientSecret,
          nativeClientIds: [APP_CLIENT],
          // accounts are provisioned by name here: binding by verified email is the connection's opt-in
          matchByVerifiedEmail: true,
        });
        // Four people enroll a new device again and again for the whole run: no device limit in the way.
        await t.dataSource.query(
          `UPDATE org SET settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{enrollment}', '{"maxActiveDevicesPerAccount": 1000}') WHERE id = $1`,
          [org.id],
        );
        // Enrollment binds to accounts the IdP provisioned over SCIM (by email).
        const token = (await t.app.get(CredentialsService).createScimToken('test', org, 'okta-enrollees')).token;
        for (const u of enrollees) {
          const res = await call(t.url, 'POST', `/scim/v2/${org.slug}/Users`, {
            token,
            headers: { 'content-type': 'application/scim+json' },
            body: { schemas: [CORE_USER], userName: `${u}@mixed.example`, emails: [{ value: `${u}@mixed.example`, primary: true }], active: true },
          });
          if (res.status !== 201) throw new Error(`provisioning ${u}: ${res.status} ${res.text}`);
        }
      },
    });
    tmp = await tempDir('fault-load-');
    const env = { KT_WITNESS_DIR: path.join(tmp.dir, 'witness') };
    a = await Replica.create('a', db.url, kek, env);
    b = await Replica.create('b', db.url, kek, env);
  }, 90000);

  afterAll(async () => {
    await a?.kill9();
    await b?.kill9();
    await idp?.close();
    await db?.drop();
    await tmp?.remove();
  });

  it('one linear log, every removal in the feed, nothing lost or doubled', async () => {
    const t0 = Date.now();
    await Promise.all([a.start(), b.start()]);
    const live = () => [a, b].filter((r) => r.process);
    const pick = (i: number) => {
      const up = live();
      return up[i % up.length] ?? a;
    };
    const stateFile = path.join(tmp.dir, 'auditor.json');
    expect((await logVerify(a.url, pop, stateFile)).code).toBe(0);

    const deadline = Date.now() + LOAD_MS;
    const counts = { kills: 0, scim: 0, enrolled: 0, reports: 0, deprovisioned: 0, feedSeen: 0, verified: 0, retried: 0 };
    const errors: string[] = [];
    /** Runs `fn` against replicas until it succeeds: a refused or reset connection means "try the other one". */
    const retrying = async <T>(fn: (i: number) => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await fn(i);
        } catch (e) {
          if (!isConnectionFailure(e) || i > 200) throw e;
          counts.retried++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const loop = async (name: string, step: (n: number) => Promise<void>, pauseMs: number) => {
      for (let n = 0; Date.now() < deadline; n++) {
        try {
          await step(n);
        } catch (e) {
          errors.push(`${name}: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };

    // B dies by SIGKILL a moment after each time it is back (a crash-looping pod); a restart
    // takes seconds on a loaded machine, so the kills come as fast as B can come back.
    const restartMs: number[] = [];
    const killer = (async () => {
      while (Date.now() + KILL_EVERY_MS < deadline) {
        await new Promise((r) => setTimeout(r, KILL_EVERY_MS * (0.5 + Math.random() / 2)));
        await b.kill9();
        counts.kills++;
        const started = Date.now();
        // And once more while it boots (migrations, listeners, workers starting).
        b.spawn();
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 2500));
        await b.kill9();
        counts.kills++;
        await b.start(45000);
        restartMs.push(Date.now() - started);
      }
    })();

    // An auditor follows the log through whichever replica answers: never a fork.
    const auditor = loop(
      'log verify',
      async (n) => {
        const verified = await retrying(async (i) => {
          const res = await logVerify(pick(i + n).url, pop, stateFile);
          if (res.code !== 0 && /fetch failed|ECONNREFUSED|ECONNRESET/.test(res.err)) throw Object.assign(new TypeError('fetch failed'));
          return res;
        });
        if (verified.code !== 0) throw new Error(`log verify: ${verified.err}`);
        counts.verified++;
      },
      1000,
    );

    // SCIM: new users provisioned and updated; Okta sends a 5xx'd request again.
    const scim = loop(
      'scim',
      async (n) => {
        const made = await retrying((i) =>
          call(pick(i + n).url, 'POST', `/scim/v2/${pop.slug}/Users`, {
            token: pop.scimToken,
            headers: { 'content-type': 'application/scim+json' },
            body: { schemas: [CORE_USER], userName: `load${n}@mixed.example`, displayName: `Load ${n}`, active: true },
          }),
        );
        if (made.status === 201 || made.status === 409) counts.scim++;
        else if (made.status < 500) throw new Error(`POST /Users ${made.status} ${made.text}`);
      },
      150,
    );

    // Deprovisioning: the populated accounts one after another, spread over the run.
    const deprovisioned: Population['accounts'] = [];
    const deprovisioning = loop(
      'deprovision',
      async (n) => {
        const account = pop.accounts[n];
        if (!account) return;
        await deprovision(() => live(), pop, account, LOAD_MS + 30000);
        deprovisioned.push(account);
        counts.deprovisioned++;
      },
      LOAD_MS / pop.accounts.length / 1.5,
    );

    // OIDC enrollment (native flow) of new devices, accounts made just in time.
    const enrollment = loop(
      'enroll',
      async (n) => {
        const key = await newDeviceKey();
        const idToken = await nativeSignIn(idp, enrollees[n % enrollees.length]!, key.nonce);
        const res = await retrying((i) =>
          call(pick(i + n).url, 'POST', `/v1/orgs/${pop.slug}/enrollments`, {
            body: { csr: key.csrPem, deviceName: `load-${n}`, platform: 'ios', ciphersuite: 1, idToken },
          }),
        );
        if (res.status === 201) counts.enrolled++;
        else if (res.status < 500) throw new Error(`enrollment ${res.status} ${res.text}`);
      },
      200,
    );

    // The DS reports new groups mixing members that are (or will be) deprovisioned.
    const reportedGroups: PopulatedGroup[] = [];
    const reports = loop(
      'report',
      async (n) => {
        const members = [pop.clients[(n * 3) % pop.clients.length]!, pop.clients[(n * 3 + 1) % pop.clients.length]!].flat();
        const made = await buildGroup(`load-room-${n}`, pop.keeper, members, pop.externalSenders);
        const res = await retrying((i) => new FakeDeliveryService(pick(i + n).url, pop.dsToken).report(made.state));
        if (res.status === 200) {
          counts.reports++;
          reportedGroups.push(made.group);
        } else if (res.status < 500) throw new Error(`group report ${res.status} ${res.text}`);
      },
      400,
    );

    // A DS consumer long-polls the feed through whichever replica is up.
    const seen = new Set<string>();
    let cursor = '0';
    const feed = loop(
      'feed',
      async (n) => {
        const res = await retrying((i) => call(pick(i + n).url, 'GET', `/v1/ds/removals?after=${cursor}&wait=2`, { token: pop.dsToken }));
        if (res.status >= 500) return;
        if (res.status !== 200) throw new Error(`feed ${res.status} ${res.text}`);
        for (const r of res.body.removals) seen.add(`${r.groupId}/${r.leafIndex}/${r.deviceId}`);
        cursor = res.body.cursor;
      },
      0,
    );

    await Promise.all([killer, auditor, scim, deprovisioning, enrollment, reports, feed]);
    if (!b.process) await b.start(45000);
    // Whatever a restarting replica answered 5xx for was retried; real failures are errors.
    expect(errors.filter((e) => !/ 5\d\d /.test(e))).toEqual([]);
    // Deprovision what the run did not reach, so every populated account is checked.
    for (const account of pop.accounts.slice(deprovisioned.length)) {
      await deprovision(() => live(), pop, account);
      deprovisioned.push(account);
    }

    const { settledMs, expectedRemovals } = await expectNothingLostNothingDoubled(b.url, db.url, pop, deprovisioned, 60000, [
      ...pop.groups,
      ...reportedGroups,
    ]);
    // The consumer that followed the feed through the kills, caught up, has every removal.
    for (;;) {
      const page = await call(a.url, 'GET', `/v1/ds/removals?after=${cursor}&limit=1000`, { token: pop.dsToken });
      expect(page.status).toBe(200);
      if (page.body.removals.length === 0) break;
      for (const r of page.body.removals) seen.add(`${r.groupId}/${r.leafIndex}/${r.deviceId}`);
      cursor = page.body.cursor;
    }
    expect(expectedRemovals.filter((r) => !seen.has(r))).toEqual([]);
    const verified = await logVerify(a.url, pop, stateFile);
    expect(verified.code).toBe(0);
    counts.feedSeen = seen.size;
    process.stdout.write(
      `fault: mixed load ${LOAD_MS} ms, ${JSON.stringify(counts)}, restarts ${JSON.stringify(restartMs)} ms, settled ${settledMs} ms, test ${Date.now() - t0} ms\n`,
    );
    expect(counts.kills).toBeGreaterThanOrEqual(3);
    expect(counts.enrolled).toBeGreaterThan(0);
    expect(counts.scim).toBeGreaterThan(0);
    expect(counts.reports).toBeGreaterThan(0);
  }, 240000);
});
