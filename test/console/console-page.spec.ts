import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { launchBrowser, screenshot, seriousAccessibilityViolations, watchPage } from './console-browser.js';

/** The console page itself: served by the service, under a strict policy, accessible before sign-in. */
describe('admin console page', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    t = await createTestApp();
    browser = await launchBrowser();
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage();
    problems = watchPage(page);
  });

  afterEach(async () => page?.close());

  it('is served at /console with a strict Content-Security-Policy and a fresh nonce per answer', async () => {
    const a = await request(t.app.getHttpServer()).get('/console/').expect(200);
    const b = await request(t.app.getHttpServer()).get('/console/people/123').expect(200);
    expect(a.headers['content-type']).toMatch(/^text\/html/);
    const csp = a.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(a.text).toContain(`content="${nonce}"`);
    expect(b.headers['content-security-policy']).not.toBe(csp);
    // no inline script: the page loads one module from this origin
    expect(a.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(a.text).toContain('src="/console/assets/console.js"');
  });

  it('serves its assets and nothing else under /console/assets', async () => {
    const js = await request(t.app.getHttpServer()).get('/console/assets/console.js').expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    await request(t.app.getHttpServer())
      .get('/console/assets/console.css')
      .expect(200)
      .expect('content-type', /^text\/css/);
    const missing = await request(t.app.getHttpServer()).get('/console/assets/nope.js').expect(404);
    expect(missing.body.reason).toBe('console_file_not_found');
    await request(t.app.getHttpServer()).get('/console/assets/..%2F..%2Fpackage.json').expect(404);
  });

  it('shows the sign-in screen to a visitor without a session, with no policy violation and no serious accessibility problem', async () => {
    await page.goto(`${t.url}/console/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20000 });
    await page.getByLabel('Organization').fill('acme');
    await screenshot(page, 'sign-in');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    // The unauthenticated whoami is the one expected failure; nothing else (CSP refusals included).
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  }, 60000);
});
