import { APP_CLIENT, enrollNative, newDeviceKey, setEnrollmentPolicy, startHarness, type Harness } from './enrollment-harness.js';

describe('parallel enrollment', () => {
  let h: Harness;
  const users = Array.from({ length: 10 }, (_, i) => `user${i}`);

  beforeAll(async () => {
    h = await startHarness('okta', {
      users: Object.fromEntries(users.map((u) => [u, { email: `${u}@acme.example`, amr: ['pwd', 'mfa'] }])),
    });
    // Accounts appear just in time, so five first enrollments of each person race to create it.
    await setEnrollmentPolicy(h, { allowJitAccounts: true, maxActiveDevicesPerAccount: 10 });
  });
  afterAll(() => h.close());

  it('enrolls 50 devices at once with no duplicate device, certificate or account', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const key = await newDeviceKey();
        const token = await h.idp.mintIdToken(h.idp.idTokenClaims(users[i % users.length], APP_CLIENT, key.nonce));
        return { key, token };
      }),
    );
    const results = await Promise.all(jobs.map(({ key, token }) => enrollNative(h, key, token)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(results.map((r) => r.body.deviceId)).size).toBe(50);
    expect(new Set(results.map((r) => r.body.certificate.serial)).size).toBe(50);
    expect(new Set(results.map((r) => r.body.accountId)).size).toBe(10);

    const [counts] = await h.t.dataSource.query(
      `SELECT (SELECT count(*) FROM device WHERE org_id = $1)::int AS devices,
              (SELECT count(DISTINCT signature_key_sha256) FROM device WHERE org_id = $1)::int AS keys,
              (SELECT count(*) FROM certificate WHERE org_id = $1 AND device_id IS NOT NULL)::int AS certificates,
              (SELECT count(DISTINCT serial) FROM certificate WHERE org_id = $1 AND device_id IS NOT NULL)::int AS serials,
              (SELECT count(*) FROM account WHERE org_id = $1)::int AS accounts,
              (SELECT count(*) FROM outbox WHERE org_id = $1 AND payload->>'type' = 'device_enrolled')::int AS enrolled_events`,
      [h.org.id],
    );
    expect(counts).toEqual({ devices: 50, keys: 50, certificates: 50, serials: 50, accounts: 10, enrolled_events: 50 });
  });

  it('lets exactly one of several racing enrollments of the same key win', async () => {
    const key = await newDeviceKey();
    const tokens = await Promise.all(users.slice(0, 5).map((u) => h.idp.mintIdToken(h.idp.idTokenClaims(u, APP_CLIENT, key.nonce))));
    const results = await Promise.all(tokens.map((t) => enrollNative(h, key, t)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    // The others lost on the key (or, sharing the nonce, on the replay store).
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(['signature_key_already_used', 'id_token_replayed']).toContain(r.body.reason);
    }
    const [row] = await h.t.dataSource.query(`SELECT count(*)::int AS n FROM device WHERE signature_key = $1`, [Buffer.from(key.spki)]);
    expect(row.n).toBe(1);
  });
});
