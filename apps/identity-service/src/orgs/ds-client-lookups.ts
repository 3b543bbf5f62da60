import type { EntityManager } from 'typeorm';
import { DsClient } from './ds-client.entity.js';

/** The org's delivery-service clients that receive webhooks: not revoked, with a URL. */
export async function webhookClientIds(m: Pick<EntityManager, 'query'>, orgId: string): Promise<string[]> {
  const rows: { id: string }[] = await m.query(`SELECT id FROM ds_client WHERE org_id = $1 AND revoked_at IS NULL AND webhook_url IS NOT NULL`, [orgId]);
  return rows.map((r) => r.id);
}

export function findDsClient(m: EntityManager, id: string): Promise<DsClient | null> {
  return m.findOneBy(DsClient, { id });
}
