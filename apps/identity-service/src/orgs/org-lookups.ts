import type { EntityManager } from 'typeorm';
import { IdpConnection } from './idp-connection.entity.js';
import { Org } from './org.entity.js';

/**
 * Org reads for modules that hold an org id from a row of their own (a certificate, a CA, an
 * enrollment session) rather than a slug from the path.
 */

export function orgById(m: EntityManager, id: string): Promise<Org | null> {
  return m.getRepository(Org).findOneBy({ id });
}

/** The org row locked for the rest of the transaction: serialises org-wide changes (CA rotation). */
export async function lockOrg(m: EntityManager, id: string): Promise<void> {
  await m.query('SELECT id FROM org WHERE id = $1 FOR UPDATE', [id]);
}

/** The org's IdP connections, oldest first. */
export function idpConnectionsOf(m: EntityManager, orgId: string): Promise<IdpConnection[]> {
  return m.getRepository(IdpConnection).find({ where: { orgId }, order: { createdAt: 'ASC' } });
}

export function idpConnectionById(m: EntityManager, orgId: string, id: string): Promise<IdpConnection | null> {
  return m.getRepository(IdpConnection).findOneBy({ id, orgId });
}
