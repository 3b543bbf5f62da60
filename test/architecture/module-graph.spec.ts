import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The service's module structure as its import statements state it: each top-level folder of
 * apps/identity-service/src is a module; `common/` is the shared kernel (imported by path) and
 * the root files (app.module.ts, main.ts...) are the composition root, so neither counts.
 */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/identity-service/src');
const KERNEL = 'common';

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [file] : [];
  });
}

const moduleOf = (file: string): string | undefined => {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 && !parts[0].startsWith('..') ? parts[0] : undefined;
};

function crossModuleImports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    if (!from || from === KERNEL) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const specifier = m[1] ?? m[2];
      const to = moduleOf(path.resolve(path.dirname(file), specifier));
      if (to && to !== from && to !== KERNEL) edges.push({ from, to, file: path.relative(SRC, file), specifier });
    }
  }
  return edges;
}

/** Strongly connected components of more than one module: each is at least one cycle. */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    if (!next.has(e.to)) next.set(e.to, new Set());
    next.get(e.from)!.add(e.to);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

const describeCycle = (component: string[], edges: Edge[]) =>
  `${component.join(' <-> ')}: ${edges
    .filter((e) => component.includes(e.from) && component.includes(e.to))
    .map((e) => `${e.file} -> ${e.specifier}`)
    .join('; ')}`;

describe('the module graph of the identity service', () => {
  const edges = crossModuleImports();

  it('is read from the sources', () => {
    expect(edges.some((e) => e.from === 'admin' && e.to === 'orgs')).toBe(true);
  });

  it('has no import cycle between modules', () => {
    expect(cycles(edges).map((c) => describeCycle(c, edges))).toEqual([]);
  });

  it('reaches other modules only through their index.js', () => {
    const bypassing = edges.filter((e) => !e.specifier.endsWith(`/${e.to}/index.js`));
    expect(bypassing.map((e) => `${e.file} -> ${e.specifier}`)).toEqual([]);
  });
});
