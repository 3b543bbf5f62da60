import pg from 'pg';
import { createTestDatabase } from './database.js';

describe('test database harness', () => {
  it('gives each caller its own empty database on a real PostgreSQL server', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.url).not.toEqual(b.url);
      const c = new pg.Client({ connectionString: a.url });
      await c.connect();
      await c.query('CREATE TABLE marker (id int)');
      const version = await c.query('SELECT current_setting($1) AS v', ['server_version_num']);
      await c.end();
      expect(Number(version.rows[0].v)).toBeGreaterThan(120000);
      const d = new pg.Client({ connectionString: b.url });
      await d.connect();
      const tables = await d.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'marker'");
      await d.end();
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
