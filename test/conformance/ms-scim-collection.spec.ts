import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createScimOrg, type ScimOrg } from '../scim/scim-org.js';

interface NewmanSummary {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    failures: { error: { name: string; message: string; test?: string }; source?: { name?: string } }[];
  };
}
type NewmanRun = (options: Record<string, unknown>, done: (err: Error | null, summary: NewmanSummary) => void) => void;

// newman ships CommonJS without types.
const newman = createRequire(import.meta.url)('newman') as { run: NewmanRun };

/**
 * Third-party material stays outside the repository: the collection's path comes from
 * SCIM_CONFORMANCE_COLLECTION (`npm run test:conformance` defaults it to the shared copy beside
 * the checkout). test/scim/interop.spec.ts covers the same behaviour with the project's own requests.
 */
const COLLECTION = process.env.SCIM_CONFORMANCE_COLLECTION ? path.resolve(process.env.SCIM_CONFORMANCE_COLLECTION) : undefined;

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
  const text = readFileSync(COLLECTION!, 'utf8');
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

  it('is given an existing collection file (SCIM_CONFORMANCE_COLLECTION)', () => {
    expect(COLLECTION).toBeDefined();
    expect(existsSync(COLLECTION!)).toBe(true);
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
