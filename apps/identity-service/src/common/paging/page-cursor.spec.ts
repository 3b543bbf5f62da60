import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../keys/index.js';
import { decodeCursor, encodeCursor, splitPage } from './page-cursor.js';

describe('page cursors', () => {
  const box = new SecretBox(randomBytes(32));
  const position = { createdAt: '2026-11-29 23:58:46.123456+00', id: '5b1f6c7e-0d6f-4d8e-9a1e-2f3c4b5a6d7e' };
  const refused = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: 'invalid_cursor', kind: 'invalid_input' }));

  it('round-trips a position for the same listing and filters, and reads as noise', () => {
    const cursor = encodeCursor(box, 'devices', { s: 'active' }, position);
    expect(decodeCursor(box, 'devices', { s: 'active' }, cursor)).toEqual(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain('2026');
  });

  it('refuses an edited cursor, another listing, other filters and another key', () => {
    const cursor = encodeCursor(box, 'devices', { s: 'active' }, position);
    for (let i = 0; i < cursor.length; i += 7) {
      const edited = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
      refused(() => decodeCursor(box, 'devices', { s: 'active' }, edited));
    }
    refused(() => decodeCursor(box, 'accounts', { s: 'active' }, cursor));
    refused(() => decodeCursor(box, 'devices', { s: 'revoked' }, cursor));
    refused(() => decodeCursor(new SecretBox(randomBytes(32)), 'devices', { s: 'active' }, cursor));
    for (const junk of ['', 'x', '!!!!!!!!!!!!!!!!!!!!', 'A'.repeat(3000)]) refused(() => decodeCursor(box, 'devices', {}, junk));
  });

  it('splits a page fetched with one extra row', () => {
    expect(splitPage([1, 2, 3], 3)).toEqual({ rows: [1, 2, 3], last: null });
    expect(splitPage([1, 2, 3, 4], 3)).toEqual({ rows: [1, 2, 3], last: 3 });
    expect(splitPage([], 3)).toEqual({ rows: [], last: null });
  });
});
