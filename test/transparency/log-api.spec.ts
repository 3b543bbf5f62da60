import { createHash } from 'node:crypto';
import {
  decodeEntryBundle,
  decodeKeyEvent,
  formatCheckpoint,
  hashLeaf,
  openCheckpoint,
  parseSignedNote,
  rootFromTiles,
  tilePath,
  verifyConsistencyProof,
  verifyEntryInclusion,
  verifyInclusionProof,
} from '#tlog';
import { AccountDeprovisioningService } from '../../apps/identity-service/src/accounts/account-deprovisioning.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { KtReader } from '../../apps/identity-service/src/transparency/kt-reader.service.js';
import { deviceAuthorization, enrolledDevice } from '../support/device-client.js';
import { KtSequencer } from '../../apps/identity-service/src/transparency/kt-sequencer.js';
import { KtStaging } from '../../apps/identity-service/src/transparency/kt-staging.js';
import { checkpointSize, enqueueKtEvents, fromB64, verifierConfig } from './kt-support.js';
import { until } from '../support/until.js';

describe('key-transparency log service', () => {
  let t: TestApp;
  let orgId: string;
  let otherOrgDsToken: string;
  let dsToken: string;
  let auditorToken: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { KT_SEQUENCER_POLL_MS: '50' } });
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    await t.app.get(OrgsService).create('test', 'globex', 'Globex');
    const ds = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'chat' } });
    dsToken = ds.body.token;
    const other = await call(t.url, 'POST', '/v1/admin/orgs/globex/ds-clients', { token: t.adminToken, body: { name: 'chat' } });
    otherOrgDsToken = other.body.token;
    const auditor = await call(t.url, 'POST', '/v1/admin/orgs/acme/auditor-tokens', { token: t.adminToken, body: { description: 'external audit' } });
    expect(auditor.status).toBe(201);
    auditorToken = auditor.body.token;
    expect(auditorToken).toMatch(/^mlsid_auditor_/);
  });
  afterAll(async () => {
    await t.close();
  });

  it('starts every org with a signed empty log whose checkpoint text is byte-exact C2SP', async () => {
    const config = await verifierConfig(t, 'acme');
    expect(config.origin).toBe(`${new URL(t.config.publicUrl).host}/kt/acme`);
    const res = await call(t.url, 'GET', '/kt/acme/checkpoint', { token: auditorToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const opened = openCheckpoint(res.text, config.verifiers, config.origin);
    // size 0: the root is SHA-256 of the empty string (RFC 9162 §2.1.1).
    expect(opened.checkpoint.size).toBe(0);
    expect(Buffer.from(opened.checkpoint.rootHash).toString('hex')).toBe(createHash('sha256').digest('hex'));
    const note = parseSignedNote(res.text);
    expect(note.text).toBe(formatCheckpoint(opened.checkpoint));
    // One signature line: "— <name> base64(key ID ‖ Ed25519 signature)" and a final newline.
    expect(note.signatures).toHaveLength(1);
    const sig = note.signatures[0]!;
    expect(sig.keyId).toBe(config.verifiers[0]!.keyId);
    expect(sig.signature).toHaveLength(64);
    const keyId = Buffer.alloc(4);
    keyId.writeUInt32BE(sig.keyId);
    const line = `— ${config.origin} ${Buffer.concat([keyId, Buffer.from(sig.signature)]).toString('base64')}\n`;
    expect(res.text).toBe(`${config.origin}\n0\n${createHash('sha256').digest('base64')}\n\n${line}`);
    expect(res.text).toMatch(/\n\n— \S+ [A-Za-z0-9+/]+=*\n$/);
  });

  it('appends what real producers write, with inclusion proofs and an account history', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'bob@acme.example');
    const device = await insertDevice(t.dataSource, orgId, accountId, 2);
    const service = t.app.get(AccountDeprovisioningService);
    await t.dataSource.transaction((m) => service.deprovision(m, { orgId, accountId, actor: 'test', mode: 'deactivate' }));
    // 2 certificate_revoked + account_deprovisioned, sequenced and signed within about a second.
    const started = Date.now();
    await until(async () => (await checkpointSize(t, 'acme')) >= 3, 5000, 'three entries');
    expect(Date.now() - started).toBeLessThan(2000);

    const config = await verifierConfig(t, 'acme');
    const history = await call(t.url, 'GET', `/kt/acme/accounts/${accountId}`, { token: dsToken });
    expect(history.status).toBe(200);
    const checkpoint = openCheckpoint(history.body.checkpoint, config.verifiers, config.origin).checkpoint;
    expect(history.body.entries.map((e: { type: string }) => e.type).sort()).toEqual(
      ['account_deprovisioned', 'certificate_revoked', 'certificate_revoked'].sort(),
    );
    const [certRow] = await t.dataSource.query(`SELECT sha256 FROM certificate WHERE id = $1`, [device.certificateIds[0]]);
    for (const e of history.body.entries) {
      const entry = fromB64(e.entry);
      verifyEntryInclusion(checkpoint, e.index, entry, e.inclusionProof.map(fromB64));
      const event = decodeKeyEvent(entry);
      expect(event.org).toBe(orgId);
      expect(event.account).toBe(accountId);
      expect(e.account).toBe(accountId);
      if (e.type === 'certificate_revoked') {
        expect(e.device).toBe(device.deviceId);
        expect(e.reason).toBe('cessationOfOperation');
      }
    }
    const revokedHashes = history.body.entries.map((e: { certificateSha256: string | null }) => e.certificateSha256);
    expect(revokedHashes).toContain(Buffer.from(certRow.sha256).toString('hex'));

    // The same entry through the certificate lookup and the JSON inclusion proof.
    const byCert = await call(t.url, 'GET', `/kt/acme/entries/by-certificate/${Buffer.from(certRow.sha256).toString('hex')}`, { token: dsToken });
    expect(byCert.body.entries).toHaveLength(1);
    const { index } = byCert.body.entries[0];
    const proof = await call(t.url, 'GET', `/kt/acme/proof/inclusion?index=${index}&size=${checkpoint.size}`, { token: auditorToken });
    const entry = fromB64(history.body.entries.find((e: { index: number }) => e.index === index).entry);
    verifyInclusionProof(index, checkpoint.size, hashLeaf(entry), proof.body.proof.map(fromB64), checkpoint.rootHash);

    // The outbox message id resolves to its index.
    const [msg] = await t.dataSource.query(
      `SELECT id FROM outbox WHERE topic = 'kt.append' AND payload->>'type' = 'account_deprovisioned' AND payload->>'accountId' = $1`,
      [accountId],
    );
    const bySource = await call(t.url, 'GET', `/kt/acme/entries/by-source/${msg.id}`, { token: dsToken });
    expect(bySource.body.status).toBe('sequenced');
    expect(history.body.entries.find((e: { index: number }) => e.index === bySource.body.index).type).toBe('account_deprovisioned');
  });

  it('serves tiles and entry bundles that rebuild the signed root, with cache headers by width', async () => {
    const config = await verifierConfig(t, 'acme');
    const note = (await call(t.url, 'GET', '/kt/acme/checkpoint', { token: dsToken })).text;
    const checkpoint = openCheckpoint(note, config.verifiers, config.origin).checkpoint;
    const fetched: string[] = [];
    const root = await rootFromTiles(checkpoint.size, {
      async readTiles(tiles) {
        return Promise.all(
          tiles.map(async (tile) => {
            const res = await fetch(`${t.url}/kt/acme/${tilePath(tile)}`, { headers: { authorization: `Bearer ${dsToken}` } });
            expect(res.status).toBe(200);
            expect(res.headers.get('cache-control')).toBe(tile.width === 256 ? 'public, max-age=31536000, immutable' : 'public, max-age=5');
            fetched.push(tilePath(tile));
            return new Uint8Array(await res.arrayBuffer());
          }),
        );
      },
    });
    expect(fetched.length).toBeGreaterThan(0);
    expect(Buffer.from(root).equals(Buffer.from(checkpoint.rootHash))).toBe(true);
    const bundle = await fetch(`${t.url}/kt/acme/tile/entries/000.p/${checkpoint.size}`, { headers: { authorization: `Bearer ${dsToken}` } });
    const entries = decodeEntryBundle(new Uint8Array(await bundle.arrayBuffer()), checkpoint.size);
    expect(entries.map((e) => decodeKeyEvent(e).type)).toContain('account_deprovisioned');
  });

  it('answers bad tile paths, indexes and sizes with 400 and a reason, absent tiles with 404', async () => {
    const size = await checkpointSize(t, 'acme');
    const cases: [string, number, string][] = [
      ['/kt/acme/proof/inclusion?index=5&size=3', 400, 'tree_range_invalid'],
      [`/kt/acme/proof/inclusion?index=0&size=${size + 1}`, 400, 'tree_range_invalid'],
      ['/kt/acme/proof/inclusion?index=-1&size=3', 400, 'invalid_tree_number'],
      ['/kt/acme/proof/inclusion?index=01&size=3', 400, 'invalid_tree_number'],
      ['/kt/acme/proof/inclusion?index=1e3&size=3', 400, 'invalid_tree_number'],
      ['/kt/acme/proof/inclusion?size=3', 400, 'missing_parameter'],
      ['/kt/acme/proof/consistency?from=3&to=2', 400, 'tree_range_invalid'],
      ['/kt/acme/proof/consistency?from=0&to=99999999999999999999', 400, 'invalid_tree_number'],
      ['/kt/acme/tile/0/001', 404, 'tile_not_found'],
      ['/kt/acme/tile/0/000.p/256', 400, 'tile_path_malformed'],
      ['/kt/acme/tile/0/0', 400, 'tile_path_malformed'],
      ['/kt/acme/tile/entries/000', 404, 'tile_not_found'],
      [`/kt/acme/tile/0/000.p/${size + 1}`, 404, 'tile_not_found'],
      ['/kt/acme/entries/by-source/abc', 400, 'invalid_source'],
      ['/kt/acme/entries/by-source/999999', 404, 'entry_not_found'],
      ['/kt/acme/entries/by-certificate/XYZ', 400, 'invalid_sha256'],
      [`/kt/acme/accounts/${'a'.repeat(256)}`, 400, 'invalid_account'],
    ];
    for (const [path, status, reason] of cases) {
      const res = await call(t.url, 'GET', path, { token: auditorToken });
      expect([path, res.status, res.body?.reason]).toEqual([path, status, reason]);
    }
    const consistency = await call(t.url, 'GET', `/kt/acme/proof/consistency?from=1&to=${size}`, { token: auditorToken });
    expect(consistency.status).toBe(200);
    const config = await verifierConfig(t, 'acme');
    const latest = openCheckpoint((await call(t.url, 'GET', '/kt/acme/checkpoint', { token: dsToken })).text, config.verifiers).checkpoint;
    const first = await call(t.url, 'GET', `/kt/acme/proof/inclusion?index=0&size=1`, { token: dsToken });
    expect(first.body.proof).toEqual([]);
    const [row] = await t.dataSource.query(`SELECT entry FROM kt_entry WHERE org_id = $1 AND idx = 0`, [orgId]);
    verifyConsistencyProof(1, size, hashLeaf(new Uint8Array(row.entry)), latest.rootHash, consistency.body.proof.map(fromB64));
  });

  it("refuses readers without a token or with another org's token (401), and unknown orgs after auth (404)", async () => {
    for (const path of [
      '/kt/acme/checkpoint',
      '/kt/acme/key',
      '/kt/acme/tile/0/000.p/1',
      '/kt/acme/proof/inclusion?index=0&size=1',
      '/kt/acme/accounts/x',
    ]) {
      expect((await call(t.url, 'GET', path)).status).toBe(401);
      expect((await call(t.url, 'GET', path, { token: otherOrgDsToken })).status).toBe(401);
      expect((await call(t.url, 'GET', path, { token: 'mlsid_auditor_not-a-real-token' })).status).toBe(401);
    }
    expect((await call(t.url, 'GET', '/kt/globex/checkpoint', { token: otherOrgDsToken })).status).toBe(200);
    expect((await call(t.url, 'GET', '/kt/nosuch/checkpoint', { token: t.adminToken })).status).toBe(404);
    expect((await call(t.url, 'GET', '/kt/nosuch/checkpoint', { token: auditorToken })).status).toBe(401);
    // An auditor token reads the log only, and stops working once revoked.
    expect((await call(t.url, 'GET', '/v1/admin/orgs/acme', { token: auditorToken })).status).toBe(401);
    const created = await call(t.url, 'POST', '/v1/admin/orgs/acme/auditor-tokens', { token: t.adminToken, body: {} });
    expect((await call(t.url, 'GET', '/kt/acme/key', { token: created.body.token })).status).toBe(200);
    const list = await call(t.url, 'GET', '/v1/admin/orgs/acme/auditor-tokens', { token: t.adminToken });
    expect(list.body.auditorTokens.map((x: { id: string }) => x.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect((await call(t.url, 'DELETE', `/v1/admin/orgs/acme/auditor-tokens/${created.body.id}`, { token: t.adminToken })).status).toBe(200);
    expect((await call(t.url, 'GET', '/kt/acme/key', { token: created.body.token })).status).toBe(401);
  });

  it('logs the issuance of a device certificate and lets the enrolled device read the log', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'dave@acme.example');
    const { device, chain } = await enrolledDevice(t.app, orgId, accountId);
    const index = await t.app.get(KtReader).awaitCertificateEntry(orgId, Buffer.from(chain.sha256, 'hex'), 'certificate_issued', 5000);
    expect(index).not.toBeNull();
    const path = `/kt/acme/accounts/${accountId}`;
    const authorization = await deviceAuthorization(device, chain.chainDer, { method: 'GET', path });
    const res = await call(t.url, 'GET', path, { headers: { authorization } });
    expect(res.status).toBe(200);
    expect(res.body.entries).toHaveLength(1);
    expect(res.body.entries[0]).toMatchObject({
      index,
      type: 'certificate_issued',
      account: accountId,
      certificateSha256: chain.sha256,
      mlsSignatureKeySha256: createHash('sha256').update(device.spki).digest('hex'),
    });
    const config = await verifierConfig(t, 'acme');
    const checkpoint = openCheckpoint(res.body.checkpoint, config.verifiers, config.origin).checkpoint;
    verifyEntryInclusion(checkpoint, index!, fromB64(res.body.entries[0].entry), res.body.entries[0].inclusionProof.map(fromB64));
    // Another org's device is refused like any other foreign credential.
    const globex = (await t.app.get(OrgsService).requireBySlug('globex')).id;
    const stranger = await enrolledDevice(t.app, globex, await insertAccount(t.dataSource, globex, 'eve@globex.example'));
    const foreign = await deviceAuthorization(stranger.device, stranger.chain.chainDer, { method: 'GET', path });
    expect((await call(t.url, 'GET', path, { headers: { authorization: foreign } })).status).toBe(401);
  });

  it('never appends a redelivered outbox message twice', async () => {
    await enqueueKtEvents(t, orgId, 1);
    const [msg] = await t.dataSource.query(`SELECT id FROM outbox WHERE topic = 'kt.append' ORDER BY id DESC LIMIT 1`);
    await until(async () => (await t.dataSource.query(`SELECT 1 FROM kt_entry WHERE source_id = $1`, [msg.id])).length === 1, 5000, 'sequenced');
    const size = await checkpointSize(t, 'acme');
    // Delivered again (as after a lost acknowledgement), through the worker and directly.
    await t.dataSource.query(`UPDATE outbox SET delivered_at = NULL WHERE id = $1`, [msg.id]);
    await until(
      async () => (await t.dataSource.query(`SELECT delivered_at FROM outbox WHERE id = $1`, [msg.id]))[0].delivered_at !== null,
      5000,
      'redelivery',
    );
    const [row] = await t.dataSource.query(`SELECT id, org_id, topic, payload, attempts FROM outbox WHERE id = $1`, [msg.id]);
    await t.dataSource.transaction((m) =>
      t.app.get(KtStaging).stage([{ id: String(row.id), orgId: row.org_id, topic: row.topic, payload: row.payload, attempts: row.attempts }], m),
    );
    await t.app.get(KtSequencer).sequencePending();
    expect(await checkpointSize(t, 'acme')).toBe(size);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM kt_entry WHERE source_id = $1`, [msg.id]))[0].n).toBe(1);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM kt_pending`))[0].n).toBe(0);
  });

  it('creates the log on first use for an org that predates it', async () => {
    const [org] = await t.dataSource.query(`INSERT INTO org (slug, name) VALUES ('initech', 'Initech') RETURNING id`);
    const res = await call(t.url, 'GET', '/kt/initech/checkpoint', { token: t.adminToken });
    expect(res.status).toBe(200);
    expect(res.text.split('\n')[1]).toBe('0');
    const [key] = await t.dataSource.query(`SELECT purpose, algorithm FROM custody_key k JOIN kt_log l ON l.key_id = k.id WHERE l.org_id = $1`, [
      org.id,
    ]);
    expect(key).toEqual({ purpose: 'kt-log', algorithm: 'Ed25519' });
  });
});
