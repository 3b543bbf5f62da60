// Issue 16: the admin console in headless Chromium, signed in through the test IdP as each role.
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Extension } from 'ts-mls';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { startAdminFixture, type AdminFixture } from '../support/admin-sign-in.js';
import { insertAccount } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, groupPath, mlsClient, type MlsClient, publishedExternalSenders } from '../removals/mls-clients.js';
import { launchBrowser, screenshot, seriousAccessibilityViolations, watchPage } from './console-browser.js';
import { consoleContext, signInThroughConsole, startConsoleRelay, type ConsoleRelay } from './console-session.js';

const ROLES = {
  'org-admin': { login: 'olivia', group: 'IT Admins' },
  'security-admin': { login: 'sam', group: 'Security' },
  helpdesk: { login: 'hana', group: 'Helpdesk' },
  auditor: { login: 'audrey', group: 'Auditors' },
} as const;

describe('admin console in a browser', () => {
  let fx: AdminFixture;
  let relay: ConsoleRelay;
  let CONSOLE_ORIGIN: string;
  let browser: Browser;
  let ds: FakeDeliveryService;
  let bob: MlsClient;
  let bobAccount: string;
  let groupId: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    relay = await startConsoleRelay();
    CONSOLE_ORIGIN = relay.origin;
    fx = await startAdminFixture('okta', {
      publicUrl: CONSOLE_ORIGIN,
      // the log sequences its entries and Removes are planned as in production, not once a minute
      env: { OUTBOX_POLL_MS: '100' },
      users: Object.fromEntries(Object.values(ROLES).map((r) => [r.login, { email: `${r.login}@acme.example`, groups: [r.group] }])),
      orgs: [{ slug: 'acme', map: Object.fromEntries(Object.entries(ROLES).map(([role, r]) => [r.group, role])) }],
    });
    const { t } = fx;
    relay.forwardTo(t.url);
    const orgId = fx.orgIds.acme!;
    const org = await t.app.get(OrgsService).requireBySlug('acme');
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    const externalSenders: Extension = await publishedExternalSenders(t.url, 'acme');
    const alice = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'alice@acme.example'), 'alice');
    bobAccount = await insertAccount(t.dataSource, orgId, 'bob@acme.example');
    bob = await mlsClient(t.app, orgId, bobAccount, 'bob');
    groupId = groupPath((await ds.reportedGroup('design-team', alice, [bob], externalSenders)).state);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await fx?.close();
    await relay?.close();
  });

  async function signedIn(role: keyof typeof ROLES): Promise<{ page: Page; problems: string[] }> {
    const context = await consoleContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    const problems = watchPage(page);
    await signInThroughConsole(page, CONSOLE_ORIGIN, 'acme', ROLES[role].login);
    // what the IdP's own pages logged is not the console's concern
    problems.length = 0;
    return { page, problems };
  }

  const navLabels = async (page: Page) =>
    (await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link').allTextContents()).map((s) => s.trim());

  /** The page's own failures only: the session probe before sign-in answers 401 by design. */
  const unexpected = (problems: string[]) => problems.filter((p) => !/401/.test(p));

  it('shows each role only what it may use', async () => {
    const expected: Record<keyof typeof ROLES, string[]> = {
      'org-admin': ['Overview', 'People', 'Groups', 'Key transparency', 'Audit log', 'Settings'],
      'security-admin': ['Overview', 'People', 'Groups', 'Key transparency', 'Audit log', 'Settings'],
      helpdesk: ['Overview', 'People', 'Groups', 'Key transparency'],
      auditor: ['Overview', 'Key transparency', 'Audit log'],
    };
    for (const role of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      const { page, problems } = await signedIn(role);
      expect([role, await navLabels(page)]).toEqual([role, expected[role]]);
      await page.getByText(role, { exact: true }).first().waitFor();
      await screenshot(page, `overview-${role}`);
      expect([role, unexpected(problems)]).toEqual([role, []]);
    }
  }, 180_000);

  it('every page as an org admin: rendered under the CSP, no serious accessibility violation, a screenshot each', async () => {
    const { page, problems } = await signedIn('org-admin');
    const pages: [string, string, string][] = [
      ['overview', '#/overview', 'Overview'],
      ['people', '#/people', 'People'],
      ['person', `#/people/${bobAccount}`, 'bob@acme.example'],
      ['groups', '#/groups', 'Groups'],
      ['group', `#/groups/${groupId}`, `Group ${groupId.slice(0, 8)}…`],
      ['transparency', `#/transparency/${bobAccount}`, 'Key transparency'],
      ['audit', '#/audit', 'Audit log'],
      ['settings', '#/settings', 'Settings'],
    ];
    for (const [name, hash, heading] of pages) {
      await page.goto(`${CONSOLE_ORIGIN}/console/${hash}`);
      await page.getByRole('heading', { name: heading, level: 2 }).waitFor({ timeout: 20000 });
      await page.waitForLoadState('networkidle');
      await screenshot(page, name);
      const violations = await seriousAccessibilityViolations(page);
      expect([name, violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)]).toEqual([name, []]);
    }
    // the history of bob's keys was checked in the browser against the signed checkpoint
    await page.goto(`${CONSOLE_ORIGIN}/console/#/transparency/${bobAccount}`);
    await page.getByText('verified', { exact: true }).first().waitFor({ timeout: 20000 });
    expect(await page.getByText('not verified').count()).toBe(0);
    await screenshot(page, 'transparency');
    expect(unexpected(problems)).toEqual([]);
  }, 180_000);

  it('a helpdesk admin finds a person, reports a device lost, and the Removes reach the delivery service', async () => {
    const { page, problems } = await signedIn('helpdesk');
    await page.goto(`${CONSOLE_ORIGIN}/console/#/people`);
    await page.getByLabel('Name, email or user name').fill('bob');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'bob@acme.example' }).click();
    await page.getByRole('heading', { name: 'bob@acme.example', level: 2 }).waitFor();
    // helpdesk reports a lost device, but suspends no one
    expect(await page.getByRole('button', { name: 'Suspend' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Report lost' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('1 device revoked, Removes for 1 group');
    await screenshot(page, 'report-lost-confirmation');
    await dialog.getByRole('button', { name: 'Report lost' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // the Removes are planned by the outbox right after the revocation commits
    await until(
      async () => {
        await page.reload();
        await page.getByRole('heading', { name: 'bob@acme.example', level: 2 }).waitFor();
        return (await page.getByText('Pending removals: 1').count()) > 0;
      },
      20_000,
      'the pending removal on the person page',
    );
    await until(async () => (await ds.feed('0')).body.removals.some((r: any) => r.deviceId === bob.deviceId), 10_000, 'the Remove in the DS feed');
    expect(unexpected(problems)).toEqual([]);
  }, 120_000);

  it('the overview shows an overdue removal', async () => {
    await fx.t.dataSource.query(`UPDATE removal SET planned_at = now() - interval '3 hours' WHERE org_id = $1`, [fx.orgIds.acme]);
    const { page, problems } = await signedIn('security-admin');
    await page.getByText('1 overdue').waitFor({ timeout: 20000 });
    await screenshot(page, 'overview-overdue');
    expect(unexpected(problems)).toEqual([]);
  }, 120_000);

  it('an auditor exports the audit log and sees the chain verified', async () => {
    const { page, problems } = await signedIn('auditor');
    await page.goto(`${CONSOLE_ORIGIN}/console/#/audit`);
    await page.getByText(/hash chain verified/).waitFor({ timeout: 20000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export (JSON lines)' }).click()]);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.action)).toContain('device.report_lost');
    expect(events.every((e) => typeof e.hash === 'string' && e.hash.length === 64)).toBe(true);
    expect(unexpected(problems)).toEqual([]);
  }, 120_000);
});
