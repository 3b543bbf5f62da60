import type { EntityManager } from 'typeorm';
import { Org } from './org.entity.js';

/** The org with this id (callers that hold an org id from a row of their own, e.g. a certificate's). */
export function orgById(m: EntityManager, id: string): Promise<Org | null> {
  return m.getRepository(Org).findOneBy({ id });
}
