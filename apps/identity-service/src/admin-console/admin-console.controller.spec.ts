import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConsoleErrors } from './admin-console.errors.js';
import { AdminConsoleController } from './admin-console.controller.js';

const reply = () => {
  const headers: Record<string, string> = {};
  return { headers, header: (name: string, value: string) => (headers[name.toLowerCase()] = value) };
};

describe('admin console controller', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'console-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers console_not_built (503) when the service runs without a built console', () => {
    const error = (() => {
      try {
        new AdminConsoleController(dir).page(reply());
      } catch (e) {
        return e;
      }
    })();
    expect(ConsoleErrors.is(error, 'console_not_built')).toBe(true);
  });

  it('serves the console once it is built, though an earlier request found none', () => {
    const controller = new AdminConsoleController(dir);
    expect(() => controller.page(reply())).toThrow();
    writeFileSync(path.join(dir, 'index.html'), '<title>console</title>');
    expect(controller.page(reply())).toBe('<title>console</title>');
  });

  it('serves the page with a nonce that is in its policy and nowhere else reused', () => {
    writeFileSync(path.join(dir, 'index.html'), '<meta name="csp-nonce" content="__CSP_NONCE__">');
    mkdirSync(path.join(dir, 'assets'));
    const controller = new AdminConsoleController(dir);
    const first = reply();
    const html = controller.page(first);
    const nonce = /'nonce-([^']+)'/.exec(first.headers['content-security-policy']!)![1]!;
    expect(html).toBe(`<meta name="csp-nonce" content="${nonce}">`);
    const second = reply();
    controller.page(second);
    expect(second.headers['content-security-policy']).not.toContain(nonce);
  });
});
