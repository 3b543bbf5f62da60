import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createScimOrg, type ScimOrg } from './scim-org.js';

interface NewmanSummary {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    failures: { error: { name: string; message: string; test?: string }; source?: { name?: string } }[];
  };
}
type NewmanRun = (options: Record<string, unknown>, done: (err: Error | null, summary: NewmanSummary) => void) => void;

// newman ships CommonJS without types.
const newman = createRequire(import.meta.url)('newman') as { run: NewmanRun };

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RELATIVE = '../shared/conformance/scim/ms-scim-postman-collection.json';

/**
 * The collection is shared data beside the repository (../shared), never a copy inside it.
 * A git worktree lives elsewhere than its main checkout, so that checkout's ../shared
 * counts too.
 */
function collectionPath(): string {
  const candidates = [path.resolve(REPO_ROOT, RELATIVE)];
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    candidates.push(path.resolve(path.dirname(common), RELATIVE));
  } catch {
    // Not a git checkout: only the first location applies.
  }
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

const COLLECTION = collectionPath();

const FOLDERS = [
  'Endpoint tests',
  'User tests',
  'Group tests',
  'ComplexAttribute tests',
  'User tests with garbage',
  'Group tests with garbage',
  'Teardown garbage',
];

/**
 * The collection's README: its serviceConfiguration requests mean RFC 7644 §4's
 * ServiceProviderConfig; the rewrite is in memory only.
 */
function loadCollection(): unknown {
  const text = readFileSync(COLLECTION, 'utf8');
  return JSON.parse(text.replaceAll('serviceConfiguration', 'ServiceProviderConfig'));
}

function runNewman(options: Record<string, unknown>): Promise<NewmanSummary> {
  return new Promise((resolve, reject) => newman.run(options, (err, summary) => (err ? reject(err) : resolve(summary))));
}

describe('Microsoft SCIM reference collection (newman)', () => {
  let t: TestApp;
  let org: ScimOrg;

  beforeAll(async () => {
    t = await createTestApp();
    org = await createScimOrg(t, 'ms-collection');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is where the README says it is', () => {
    expect(existsSync(COLLECTION)).toBe(true);
  });

  it('passes every assertion of the listed folders against a fresh org', async () => {
    const url = new URL(t.url);
    const summary = await runNewman({
      collection: loadCollection(),
      folder: FOLDERS,
      envVar: [
        { key: 'Protocol', value: url.protocol.replace(':', '') },
        { key: 'Server', value: url.hostname },
        { key: 'Port', value: `:${url.port}` },
        { key: 'Api', value: `scim/v2/${org.slug}` },
        { key: 'token', value: org.token },
      ],
      reporters: [],
      timeoutRequest: 10000,
    });
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`);
    expect(failures).toEqual([]);
    // Every folder ran (not an empty selection) and asserted something.
    expect(summary.run.stats.requests.total).toBeGreaterThanOrEqual(70);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(90);
    expect(summary.run.stats.assertions.failed).toBe(0);

    // The teardown folder leaves the org empty, as the collection's last checks expect.
    const users = await org.scim('GET', '/Users');
    expect(users.body.totalResults).toBe(0);
    const groups = await org.scim('GET', '/Groups');
    expect(groups.body.totalResults).toBe(0);
  }, 120000);
});
