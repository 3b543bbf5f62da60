import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two secrets of possibly different lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
