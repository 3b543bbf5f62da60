import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { checkCertificationRequest } from '#x509-profile';
import { encodeBase64, type IdentityClient, type EnrolledDevice } from '#client-sdk';
import { buildBrowserBundle } from '../../libs/client-sdk/browser/build-browser-bundle.js';
import { nativeSignIn, startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { launchChromium } from '../support/browser.js';
import { call } from '../support/test-app.js';
import { enrollWithToken, provision, sdkClient, USERS } from './sdk-harness.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>client-sdk</title>
<script type="module">
  import * as sdk from '/client-sdk.js';
  window.sdk = sdk;
  window.sdkReady = true;
</script>`;

/**
 * The page, the bundle, and the service under the page's own origin (as a chat app's web
 * server fronts it), so that the SDK's fetches are same-origin.
 */
function startPageServer(bundle: string, serviceUrl: string): Promise<Server> {
  const service = new URL(serviceUrl);
  const server = createServer((req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    if (req.url === '/client-sdk.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    const upstream = httpRequest(
      { host: service.hostname, port: service.port, method: req.method, path: req.url, headers: { ...req.headers, host: service.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('browser build of the SDK in headless Chromium', () => {
  let h: Harness;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let client: IdentityClient;
  let bob: EnrolledDevice;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    h = await startHarness('okta', { users: USERS });
    await provision(h);
    client = sdkClient(h);
    bob = await enrollWithToken(h, client, 'bob');
    const bundle = await buildBrowserBundle();
    expect(bundle.code).not.toMatch(/from\s*["']node:/);
    server = await startPageServer(bundle.code, h.t.url);
    // The chat app's pages call the org's API from their own origin: the org lists it (issue 13 §8).
    const pageOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const allowed = await call(h.t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: h.t.adminToken,
      body: { settings: { cors: { allowedOrigins: [pageOrigin] } } },
    });
    expect(allowed.status).toBe(200);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as unknown as { sdkReady?: boolean }).sdkReady === true, undefined, { timeout: 20000 });
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await h?.close();
  });

  it('generates keys and a CSR in the browser, enrolls, and verifies a peer', async () => {
    // The callbacks below run in the page. This file is checked without DOM types (tsconfig.json),
    // so the page's globals are reached through globalThis.
    const made = await page.evaluate(async () => {
      const sdk = (globalThis as any).sdk;
      const keys = await sdk.generateDeviceKeys(1);
      (globalThis as any).keys = keys;
      const csr = await sdk.createCertificationRequest(keys);
      const mls = await sdk.exportMlsSignatureKeyPair(keys);
      return {
        csrPem: csr.pem as string,
        nonce: (await sdk.keyBoundNonce(keys)) as string,
        spki: sdk.encodeBase64(keys.subjectPublicKeyInfo) as string,
        mlsPublicKeyLength: mls.publicKey.length as number,
      };
    });
    expect(pageErrors).toEqual([]);
    const checked = await checkCertificationRequest(made.csrPem, { ciphersuite: 1 });
    expect(Buffer.from(checked.subjectPublicKeyInfo).toString('base64')).toBe(made.spki);
    expect(made.nonce).toBe(createHash('sha256').update(checked.subjectPublicKeyInfo).digest('base64url'));
    expect(made.mlsPublicKeyLength).toBe(32);

    const idToken = await nativeSignIn(h.idp, 'alice', made.nonce);
    const outcome = await page.evaluate(
      async ({ idToken, peer }) => {
        const sdk = (globalThis as any).sdk;
        const client = new sdk.IdentityClient({ baseUrl: (globalThis as any).location.origin, org: 'acme' });
        const device = await client.enroll({ flow: 'token', keys: (globalThis as any).keys, idToken, deviceName: 'browser', platform: 'web' });
        const session = client.session(device);
        const credential = sdk.decodeBase64(peer);
        let v;
        for (let i = 0; i < 100; i++) {
          v = await session.verifyPeer(credential);
          if (v.reason !== 'not_in_log') break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const garbage = await session.verifyPeer(new Uint8Array([1, 2, 3]));
        return {
          deviceId: device.deviceId as string,
          state: v.state,
          reason: v.reason,
          peerDevice: v.identity?.deviceId,
          garbage: garbage.state,
          since: v.since instanceof Date,
        };
      },
      { idToken, peer: encodeBase64(bob.certificate.credential) },
    );
    expect(pageErrors).toEqual([]);
    expect(outcome).toMatchObject({ state: 'verified', reason: 'in_log', peerDevice: bob.deviceId, garbage: 'unknown', since: true });
    // the device the browser enrolled is a real one: Node sees it verified too
    const [row] = await h.t.dataSource.query(`SELECT der FROM certificate WHERE device_id = $1`, [outcome.deviceId]);
    const seenFromNode = await client.session(bob).verifyPeer([new Uint8Array(row.der)]);
    expect(seenFromNode.identity?.deviceId).toBe(outcome.deviceId);
  });
});
