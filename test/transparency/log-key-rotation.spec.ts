import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeKeyEvent, NoteUnverified, openCheckpoint, parseSignedNote, parseVerifierKey } from '#tlog';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { checkpointSize, enqueueKtEvents, mlsid } from './kt-support.js';

describe('log key rotation: both signatures during the overlap, verifiers follow the rotation', () => {
  let t: TestApp;
  let orgId: string;
  let dsToken: string;
  let dir: string;
  const cli = (state: string) => ['log', 'verify', '--url', t.url, '--org', 'acme', '--token', dsToken, '--state', path.join(dir, state)];
  const rotate = (body: unknown = { overlapSeconds: 3600 }) =>
    call(t.url, 'POST', '/v1/admin/orgs/acme/transparency/key/rotate', { token: t.adminToken, body });
  const keys = async () => (await call(t.url, 'GET', '/kt/acme/key', { token: dsToken })).text.trim().split('\n');
  const checkpoint = async () => (await call(t.url, 'GET', '/kt/acme/checkpoint', { token: dsToken })).text;
  /** Waits until every kt.append ever written is in a checkpoint. */
  const settled = async () => {
    const [{ total }] = await t.dataSource.query(`SELECT count(*)::int AS total FROM outbox WHERE topic = 'kt.append' AND org_id = $1`, [orgId]);
    await until(async () => (await checkpointSize(t, 'acme')) === total, 10000, `${total} entries`);
  };

  beforeAll(async () => {
    t = await createTestApp({ env: { KT_SEQUENCER_POLL_MS: '20', OUTBOX_POLL_MS: '20', LOG_LEVEL: 'error' } });
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    dsToken = (await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'chat' } })).body.token;
    dir = await mkdtemp(path.join(tmpdir(), 'kt-rotation-'));
    await enqueueKtEvents(t, orgId, 3);
    await settled();
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates; checkpoints carry both keys during the overlap; pinned verifiers follow after it', async () => {
    const before = await mlsid(cli('old.json'), dir);
    expect(before.code).toBe(0);
    const [oldKey] = await keys();

    const rotated = await rotate();
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ previousKey: oldKey, origin: parseVerifierKey(oldKey!).name });
    const newKey = rotated.body.newKey as string;
    expect(await keys()).toEqual([oldKey, newKey]);

    // the rotation is a log entry (type 15) in a checkpoint both keys sign
    await settled();
    const note = await checkpoint();
    expect(parseSignedNote(note).signatures).toHaveLength(2);
    for (const k of [oldKey!, newKey]) expect(openCheckpoint(note, [parseVerifierKey(k)]).checkpoint.size).toBeGreaterThan(3);
    const [row] = await t.dataSource.query(`SELECT entry FROM kt_entry WHERE org_id = $1 ORDER BY idx DESC LIMIT 1`, [orgId]);
    const event = decodeKeyEvent(new Uint8Array(row.entry));
    expect(event).toMatchObject({ type: 'log_key_rotated', reason: newKey });

    // existing verifiers keep verifying during the overlap; a new one pins both keys
    expect((await mlsid(cli('old.json'), dir)).code).toBe(0);
    expect((await mlsid(cli('during.json'), dir)).code).toBe(0);

    // a second rotation waits for the overlap to end
    expect(await rotate()).toMatchObject({ status: 409, body: { reason: 'log_key_rotation_in_progress' } });

    const finished = await call(t.url, 'POST', '/v1/admin/orgs/acme/transparency/key/rotate/finish', { token: t.adminToken });
    expect(finished.status).toBe(200);
    expect(finished.body).toEqual({ verifierKeys: [newKey], retiredKeys: 1 });
    expect(await keys()).toEqual([newKey]);
    await enqueueKtEvents(t, orgId, 1);
    await settled();
    const after = await checkpoint();
    expect(parseSignedNote(after).signatures).toHaveLength(1);
    expect(() => openCheckpoint(after, [parseVerifierKey(oldKey!)])).toThrow(NoteUnverified);
    expect(openCheckpoint(after, [parseVerifierKey(newKey)]).checkpoint.size).toBeGreaterThan(4);

    // the CLI pinned to the old key follows the statement the old key signed, and keeps verifying
    const followed = await mlsid(cli('old.json'), dir);
    expect(followed.err).toContain('followed log key rotation');
    expect(followed.code).toBe(0);
    expect((await mlsid(cli('old.json'), dir)).code).toBe(0);
    expect((await mlsid(cli('during.json'), dir)).code).toBe(0);
    // pinned out of band to a key the log never rotated from: refused, not followed
    const stranger = 'id.example.com/kt/acme+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await mlsid([...cli('stranger.json'), '--key', stranger], dir)).code).not.toBe(0);
  });

  it('refuses a bad overlap and a finish without a rotation', async () => {
    expect(await rotate({ overlapSeconds: -1 })).toMatchObject({ status: 400 });
    expect(await rotate({ overlapSeconds: 'soon' })).toMatchObject({ status: 400 });
    const none = await call(t.url, 'POST', '/v1/admin/orgs/acme/transparency/key/rotate/finish', { token: t.adminToken });
    expect(none).toMatchObject({ status: 409, body: { reason: 'no_log_key_rotation' } });
    // the DS client is no admin
    expect((await call(t.url, 'POST', '/v1/admin/orgs/acme/transparency/key/rotate', { token: dsToken, body: {} })).status).toBe(401);
  });
});
