import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';

function nested(levels: number, container: 'object' | 'array'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = container === 'object' ? { a: value } : [value];
  return value;
}

describe('nestsDeeperThan', () => {
  it('allows exactly the bound and refuses one level more, for objects and arrays', () => {
    for (const container of ['object', 'array'] as const) {
      expect(nestsDeeperThan(nested(MAX_JSON_DEPTH, container), MAX_JSON_DEPTH)).toBe(false);
      expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1, container), MAX_JSON_DEPTH)).toBe(true);
    }
  });

  it('measures the deepest branch, not the width, and survives depths that overflow recursion', () => {
    expect(nestsDeeperThan({ wide: Array.from({ length: 10_000 }, () => ({ x: [1] })), shallow: 'x' }, MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan({ ok: 1, deep: nested(100_000, 'array') }, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan('scalar', MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(null, MAX_JSON_DEPTH)).toBe(false);
  });
});
