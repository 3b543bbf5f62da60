import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_FAMILIES, JUDGEMENT_REASONS } from '../../apps/identity-service/src/error-catalogue.js';
import { ERROR_DOCS_PATH, renderErrorDocs } from '../../apps/identity-service/src/tools/error-docs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = fileURLToPath(import.meta.url);

function testFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string, inTestTree: boolean) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file, inTestTree);
      else if (file !== SELF && (name.endsWith('.spec.ts') || (inTestTree && name.endsWith('.ts')))) out.push(file);
    }
  };
  walk(path.join(ROOT, 'test'), true);
  for (const dir of ['apps', 'libs']) walk(path.join(ROOT, dir), false);
  return out;
}

describe('the error catalogue', () => {
  it('is what docs/errors.md documents (regenerate with npm run docs:errors)', () => {
    expect(readFileSync(path.join(ROOT, ERROR_DOCS_PATH), 'utf8')).toBe(renderErrorDocs());
  });

  it('gives every code to exactly one family', () => {
    const owners = new Map<string, string[]>();
    for (const family of ERROR_FAMILIES) {
      for (const code of Object.keys(family.specs)) owners.set(code, [...(owners.get(code) ?? []), family.family]);
    }
    const shared = [...owners].filter(([, families]) => families.length > 1).map(([code, families]) => `${code}: ${families.join(', ')}`);
    expect(shared).toEqual([]);
  });

  it('has every code and judgement reason exercised by at least one test', () => {
    const corpus = testFiles()
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Whole identifiers only: reauthentication_required does not name authentication_required.
    const named = (code: string) => new RegExp(`(?<![A-Za-z0-9_])${code}(?![A-Za-z0-9_])`).test(corpus);
    const codes = [
      ...ERROR_FAMILIES.flatMap((family) => Object.keys(family.specs).map((code) => [`${family.family}.${code}`, code])),
      ...JUDGEMENT_REASONS.flatMap(({ reasons }) =>
        Object.keys(reasons)
          .filter((c) => !c.endsWith('…'))
          .map((code) => [`reason.${code}`, code]),
      ),
    ];
    expect(codes.filter(([, code]) => !named(code)).map(([name]) => name)).toEqual([]);
  });
});
