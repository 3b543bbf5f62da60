/**
 * Untrusted input may only ever produce a ScimError: random filters, PATCH bodies and
 * resources built from grammar fragments (deterministic PRNG, so failures reproduce).
 */
import { CORE_USER, ENTERPRISE, projectSchemas } from '../test-support/project-schemas.js';
import { ScimError } from './errors.js';
import { evaluateFilter } from './filter/evaluate.js';
import { parseFilter } from './filter/parse.js';
import { filterToSql } from './filter/to-sql.js';
import { applyPatch } from './patch/apply-patch.js';
import { parsePatchRequest, PATCH_OP_SCHEMA } from './patch/patch-request.js';
import { validateResourceInput } from './schema/validate-resource.js';

const users = projectSchemas().resource('User');

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function onlyScimErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ScimError)) throw e;
  }
}

const FILTER_PARTS = [
  'userName',
  'emails',
  'emails.value',
  'name.givenName',
  'meta.created',
  'active',
  `${ENTERPRISE}:manager.value`,
  'groups',
  'x',
  ' eq ',
  ' ne ',
  ' co ',
  ' sw ',
  ' pr',
  ' gt ',
  ' and ',
  ' or ',
  'not ',
  '(',
  ')',
  '[',
  ']',
  '.',
  '"a"',
  '"\\u00e9"',
  '"\\',
  'true',
  'null',
  '12',
  '-1.5e3',
  '"2020-01-01T00:00:00Z"',
  ' ',
  '"',
  'type eq "work"',
  '$ref',
  ':',
  'urn:',
];

const VALUES: unknown[] = [
  null,
  true,
  'False',
  'x',
  12,
  [],
  {},
  [{ value: 'v', primary: 'True' }],
  { givenName: 'g' },
  [null],
  { value: { nested: 1 } },
  '\u0000',
];
const PATHS = [
  undefined,
  'userName',
  'emails',
  'emails[type eq "work"].value',
  'emails[type eq "work"]',
  'name',
  'name.givenName',
  'id',
  'meta',
  'groups',
  `${ENTERPRISE}:manager`,
  ENTERPRISE,
  'members',
  'emails[',
  'bogus',
  'emails.value',
  '',
  'emails[value pr].display',
];

describe('untrusted input produces only ScimError', () => {
  it('random filters', () => {
    const rand = prng(1);
    const map = {
      userName: { column: 'u', type: 'string' as const },
      emails: { jsonArray: 'e', subAttributes: { value: { type: 'string' as const } } },
    };
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => FILTER_PARTS[Math.floor(rand() * FILTER_PARTS.length)]).join('');
      onlyScimErrors(() => {
        const f = parseFilter(text, { allowUnquotedValues: rand() < 0.5 });
        onlyScimErrors(() => evaluateFilter(f, { userName: 'a', emails: [{ value: 'a', type: 'work' }] }, users));
        onlyScimErrors(() => filterToSql(f, { attributes: map }));
      });
    }
  });

  it('random PATCH operations', () => {
    const rand = prng(2);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const stored = validateResourceInput({ schemas: [CORE_USER], userName: 'u', emails: [{ value: 'a@x', type: 'work', primary: true }] }, users);
    for (let i = 0; i < 2000; i++) {
      const operations = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
        const op: Record<string, unknown> = { op: pick(['add', 'Replace', 'remove', 'nope']) };
        const path = pick(PATHS);
        if (path !== undefined) op.path = path;
        if (rand() < 0.9)
          op.value = path === undefined ? pick([{ active: pick(VALUES), 'name.givenName': pick(VALUES) }, pick(VALUES)]) : pick(VALUES);
        return op;
      });
      onlyScimErrors(() => applyPatch({ ...stored, id: '1' }, parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations }), users));
    }
  });

  it('random resources', () => {
    const rand = prng(3);
    const keys = [
      'userName',
      'USERNAME',
      'emails',
      'name',
      'active',
      'schemas',
      ENTERPRISE,
      'urn:x:y',
      'meta',
      'id',
      'groups',
      '__proto__',
      'constructor',
    ];
    for (let i = 0; i < 2000; i++) {
      const body: Record<string, unknown> = {};
      for (let k = 0; k < 4; k++) body[keys[Math.floor(rand() * keys.length)]] = VALUES[Math.floor(rand() * VALUES.length)];
      onlyScimErrors(() => validateResourceInput(JSON.parse(JSON.stringify(body)), users));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
