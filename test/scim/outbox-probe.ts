import type { DataSource } from 'typeorm';

export async function lastOutboxId(ds: DataSource): Promise<number> {
  const [{ id }] = await ds.query('SELECT coalesce(max(id), 0)::bigint AS id FROM outbox');
  return Number(id);
}

/**
 * The outbox events that concern one account, as `topic` or `topic:type` labels, sorted:
 * KT entries name the account, removal plans and CRL refreshes name its devices and CAs
 * (devices of an org share its CA, so callers pass the last id before the step under test).
 */
export async function outboxEventsFor(
  ds: DataSource,
  orgId: string,
  accountId: string,
  devices: { deviceId: string; caId: string }[],
  afterId = 0,
): Promise<string[]> {
  const rows: { topic: string; payload: Record<string, unknown> }[] = await ds.query(
    'SELECT topic, payload FROM outbox WHERE org_id = $1 AND id > $2 ORDER BY id',
    [orgId, afterId],
  );
  const deviceIds = new Set(devices.map((d) => d.deviceId));
  const caIds = new Set(devices.map((d) => d.caId));
  const labels: string[] = [];
  for (const r of rows) {
    const p = r.payload;
    const about =
      p.accountId === accountId ||
      (Array.isArray(p.deviceIds) && p.deviceIds.some((d) => deviceIds.has(d as string))) ||
      (Array.isArray(p.caIds) && p.caIds.some((c) => caIds.has(c as string)));
    if (about) labels.push(typeof p.type === 'string' ? `${r.topic}:${p.type}` : r.topic);
  }
  return labels.sort();
}

export async function deviceStates(ds: DataSource, accountId: string): Promise<{ device: string; reason: string | null; certificates: string[] }[]> {
  const rows: { status: string; revocation_reason: string | null; certs: string[] }[] = await ds.query(
    `SELECT d.status, d.revocation_reason,
            coalesce(array_agg(c.status || ':' || coalesce(c.revocation_reason::text, '-') ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS certs
       FROM device d LEFT JOIN certificate c ON c.device_id = d.id
      WHERE d.account_id = $1 GROUP BY d.id ORDER BY d.id`,
    [accountId],
  );
  return rows.map((r) => ({ device: r.status, reason: r.revocation_reason, certificates: r.certs }));
}

export async function auditActions(ds: DataSource, target: string): Promise<{ action: string; actor: string }[]> {
  return ds.query('SELECT action, actor FROM audit_event WHERE target = $1 ORDER BY id', [target]);
}
