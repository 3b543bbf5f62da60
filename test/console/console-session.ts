import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../support/test-app.js';

/**
 * The console as a browser sees it: the service answers at CONSOLE_ORIGIN (https, so its
 * `__Host-` Secure cookies are kept) through Playwright's request routing to the test server;
 * the test IdP is reached directly. Nothing of the service is bypassed: every request of the
 * page, the sign-in redirects included, goes through the real HTTP stack.
 */
export const CONSOLE_ORIGIN = 'https://console.test';

export async function consoleContext(browser: Browser, t: TestApp): Promise<BrowserContext> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  await context.route(`${CONSOLE_ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    const response = await route.fetch({ url: `${t.url}${url.pathname}${url.search}`, maxRedirects: 0 });
    await route.fulfill({ response });
  });
  return context;
}

/** Signs in through the console's own sign-in screen and the IdP's login form; resolves on the console's shell. */
export async function signInThroughConsole(page: Page, org: string, login: string): Promise<void> {
  await page.goto(`${CONSOLE_ORIGIN}/console/`);
  await page.getByLabel('Organization').fill(org);
  await page.getByRole('button', { name: 'Sign in' }).click();
  for (let step = 0; step < 6; step++) {
    await page.waitForLoadState('domcontentloaded');
    if (page.url().startsWith(`${CONSOLE_ORIGIN}/console/`)) break;
    const loginField = page.locator('input[name="login"]');
    if (await loginField.count()) {
      await loginField.fill(login);
      const password = page.locator('input[name="password"]');
      if (await password.count()) await password.fill('any-password');
      await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"], form input[type="submit"]').first().click()]);
      continue;
    }
    const submit = page.locator('form button[type="submit"], form input[type="submit"]').first();
    if (await submit.count()) {
      await Promise.all([page.waitForNavigation(), submit.click()]);
      continue;
    }
    await page.waitForTimeout(200);
  }
  await page.getByRole('navigation', { name: 'Console sections' }).waitFor({ timeout: 20000 });
}
