import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * The console as a browser sees it: the service behind `http://localhost:<port>`, the address it
 * is configured to call its own (PUBLIC_URL, so the IdP sends the browser back there). A browser
 * treats localhost as a secure context, so the service's `__Host-` Secure cookies are kept as they
 * would be over https. The port is taken before the service starts (PUBLIC_URL must name it);
 * this relay forwards every request, the sign-in redirects included, to the test server as is.
 */
export interface ConsoleRelay {
  origin: string;
  forwardTo(url: string): void;
  close(): Promise<void>;
}

export async function startConsoleRelay(): Promise<ConsoleRelay> {
  let target: URL | null = null;
  const server: Server = createServer((req, res) => {
    if (!target) return void res.writeHead(503).end();
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    forwardTo: (url) => (target = new URL(url)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function consoleContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
}

/** Signs in through the console's own sign-in screen and the IdP's login form; resolves on the console's shell. */
export async function signInThroughConsole(page: Page, origin: string, org: string, login: string): Promise<void> {
  await page.goto(`${origin}/console/`);
  await page.getByLabel('Organization').fill(org);
  await page.getByRole('button', { name: 'Sign in' }).click();
  for (let step = 0; step < 8; step++) {
    await page.waitForLoadState('domcontentloaded');
    if (page.url().startsWith(`${origin}/console/`)) break;
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
