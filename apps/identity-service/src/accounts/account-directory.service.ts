import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { DevicesService, type DeviceSummary } from '../devices/index.js';
import { Account } from './account.entity.js';
import { bindSubject, bindingsOfAccount, BOUND_TO, carrierOf, type IdpBinding } from './account-idp-binding.queries.js';
import { membershipsOfAccounts, removeAccountEverywhere } from './scim-group-member.queries.js';
import { windowSql } from './list-window.js';

/** An account as SCIM sees it: columns the service keys off plus the IdP's representation. */
export interface AccountRecord {
  id: string;
  orgId: string;
  userName: string;
  externalId: string | null;
  displayName: string | null;
  email: string | null;
  active: boolean;
  resource: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The values an IdP write sets on the account row (active is the deprovisioning use case's). */
export interface AccountFields {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  email: string | null;
  resource: Record<string, unknown>;
}

export interface AccountQuery {
  /** SQL condition over alias `a`, placeholders from $2 on ($1 is the org). */
  where?: string;
  params?: unknown[];
  orderBy?: string;
  offset: number;
  limit: number;
}

export interface AccountGroupRef {
  groupId: string;
  displayName: string;
}

export type { DeviceSummary, IdpBinding };

/** A person as one IdP connection names them: subjects are namespaced by the connection that issued them. */
export interface IdpSubjectRef {
  connectionId: string;
  subject: string;
}

/**
 * An account may hold devices and certificates only while active and not deleted; the one
 * spelling of that rule.
 */
export const isActiveAccount = (a: Pick<Account, 'active' | 'deletedAt'>): boolean => a.active && a.deletedAt === null;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids come from URLs and member lists: anything that is not a UUID names nothing. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const COLUMNS = `a.id, a.org_id, a.user_name, a.external_id, a.display_name, a.email, a.active, a.resource, a.version, a.created_at, a.updated_at`;

interface AccountRow {
  id: string;
  org_id: string;
  user_name: string;
  external_id: string | null;
  display_name: string | null;
  email: string | null;
  active: boolean;
  resource: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toRecord(r: AccountRow): AccountRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    userName: r.user_name,
    externalId: r.external_id,
    displayName: r.display_name,
    email: r.email,
    active: r.active,
    resource: r.resource,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Account rows for provisioning: every statement is scoped by org and skips tombstones
 * (deleted accounts keep their row for the audit trail and key transparency, but no
 * longer exist for SCIM). Runs in the caller's transaction.
 */
@Injectable()
export class AccountDirectory {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DevicesService,
  ) {}

  /**
   * The one way an account is locked for the rest of the transaction (deprovisioning,
   * enrollment): concurrent changes of one person's account and devices run one after the
   * other. `includeDeleted` for the deprovisioning use case, which also handles tombstones.
   */
  async lock(m: EntityManager, orgId: string, accountId: string, options: { includeDeleted?: boolean } = {}): Promise<Account | null> {
    return this.locking(m, orgId, options.includeDeleted ?? false)
      .andWhere('a.id = :accountId', { accountId })
      .getOne();
  }

  /**
   * The oldest non-deleted account of the org that matches, locked (enrollment's account
   * binding). A subject matches only under the connection that bound it; userName and email
   * match case-insensitively.
   */
  async lockMatching(
    m: EntityManager,
    orgId: string,
    match: { bound: IdpSubjectRef } | { externalIds: readonly string[] } | { userName: string } | { email: string },
  ): Promise<Account | null> {
    const q = this.locking(m, orgId, false);
    if ('bound' in match) q.andWhere(BOUND_TO(':c', ':s'), { c: match.bound.connectionId, s: match.bound.subject });
    else if ('externalIds' in match) {
      if (match.externalIds.length === 0) return null;
      q.andWhere('a.external_id IN (:...ids)', { ids: [...match.externalIds] }).orderBy('a.created_at', 'ASC');
    } else if ('userName' in match) q.andWhere('lower(a.user_name) = lower(:v)', { v: match.userName });
    else q.andWhere('lower(a.email) = lower(:v)', { v: match.email }).orderBy('a.created_at', 'ASC');
    return q.getOne();
  }

  private locking(m: EntityManager, orgId: string, includeDeleted: boolean): SelectQueryBuilder<Account> {
    return m
      .getRepository(Account)
      .createQueryBuilder('a')
      .setLock('pessimistic_write')
      .where(`a.org_id = :orgId${includeDeleted ? '' : ' AND a.deleted_at IS NULL'}`, { orgId });
  }

  /**
   * An account created just in time at a first sign-in (when the org allows it), bound to the
   * IdP subject under the connection it signed in through, and locked. Null when the userName is taken: two first enrollments of one new
   * person race here, the unique userName index lets one insert win and the other finds (and
   * locks) that account.
   */
  async createJustInTime(
    m: EntityManager,
    orgId: string,
    fields: { userName: string; email: string | null; displayName: string | null; bound: IdpSubjectRef },
  ): Promise<Account | null> {
    const inserted: { id: string }[] = await m.query(
      `INSERT INTO account (org_id, user_name, email, display_name, external_id)
       VALUES ($1, $2, $3, $4, NULL)
       ON CONFLICT (org_id, lower(user_name)) WHERE deleted_at IS NULL DO NOTHING
       RETURNING id`,
      [orgId, fields.userName, fields.email, fields.displayName],
    );
    if (inserted.length === 0) return null;
    const account = await this.locking(m, orgId, false).andWhere('a.id = :id', { id: inserted[0].id }).getOneOrFail();
    // Only a racing first sign-in of the same person can hold the subject now; the caller then finds that account.
    if (!(await bindSubject(m, orgId, account.id, fields.bound.connectionId, fields.bound.subject, 'sign_in'))) {
      await m.query(`DELETE FROM account WHERE org_id = $1 AND id = $2`, [orgId, account.id]);
      return null;
    }
    return account;
  }

  /**
   * An account of the org, tombstones included, that already carries this IdP subject (under
   * this connection) or one of these externalIds (case-insensitively): a just-in-time account
   * must never be minted for an identity the org deprovisioned or deleted.
   */
  async carrying(
    m: EntityManager,
    orgId: string,
    bound: IdpSubjectRef,
    externalIds: readonly string[],
  ): Promise<{ id: string; deleted: boolean } | null> {
    const bySubject = await carrierOf(m, orgId, bound.connectionId, bound.subject);
    if (bySubject) return bySubject;
    const rows: { id: string; deleted: boolean }[] = await m.query(
      `SELECT id, deleted_at IS NOT NULL AS deleted FROM account
        WHERE org_id = $1 AND lower(external_id) = ANY($2::text[])
        ORDER BY deleted_at NULLS FIRST LIMIT 1`,
      [orgId, externalIds.map((x) => x.toLowerCase())],
    );
    return rows[0] ?? null;
  }

  /** The account's IdP bindings and links, one per connection at most. */
  idpBindingsOf(m: EntityManager, orgId: string, accountId: string): Promise<IdpBinding[]> {
    return bindingsOfAccount(m, orgId, accountId);
  }

  /**
   * Binds the IdP's stable subject, under the connection the person signed in through, at the
   * account's first sign-in there (filling an admin's pending link). False when another live
   * account carries it already.
   */
  bindIdpSubject(m: EntityManager, orgId: string, accountId: string, bound: IdpSubjectRef): Promise<boolean> {
    return bindSubject(m, orgId, accountId, bound.connectionId, bound.subject, 'sign_in');
  }

  /** The org's accounts among `ids`, tombstones included (ids that are not UUIDs match nothing). */
  async findByIds(orgId: string, ids: readonly string[], m: EntityManager = this.dataSource.manager): Promise<Account[]> {
    const candidates = ids.filter(isUuid);
    if (candidates.length === 0) return [];
    return m.getRepository(Account).createQueryBuilder('a').where('a.org_id = :orgId AND a.id IN (:...ids)', { orgId, ids: candidates }).getMany();
  }

  async find(m: EntityManager, orgId: string, id: string, lock = false): Promise<AccountRecord | null> {
    if (!isUuid(id)) return null;
    const rows: AccountRow[] = await m.query(
      `SELECT ${COLUMNS} FROM account a WHERE a.org_id = $1 AND a.id = $2 AND a.deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [orgId, id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Throws PostgreSQL's unique violation (23505) when the userName is taken in the org. */
  async insert(m: EntityManager, orgId: string, fields: AccountFields, active: boolean): Promise<AccountRecord> {
    const rows: AccountRow[] = await m.query(
      `INSERT INTO account AS a (org_id, user_name, external_id, display_name, email, active, resource, deprovisioned_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 THEN NULL ELSE now() END)
       RETURNING ${COLUMNS}`,
      [orgId, fields.userName, fields.externalId, fields.displayName, fields.email, active, fields.resource],
    );
    return toRecord(rows[0]);
  }

  async update(m: EntityManager, orgId: string, id: string, fields: AccountFields): Promise<void> {
    await m.query(
      `UPDATE account SET user_name = $3, external_id = $4, display_name = $5, email = $6, resource = $7,
         version = version + 1, updated_at = now()
       WHERE org_id = $1 AND id = $2`,
      [orgId, id, fields.userName, fields.externalId, fields.displayName, fields.email, fields.resource],
    );
  }

  async list(m: EntityManager, orgId: string, q: AccountQuery): Promise<{ total: number; accounts: AccountRecord[] }> {
    const where = `a.org_id = $1 AND a.deleted_at IS NULL${q.where ? ` AND (${q.where})` : ''}`;
    const params = [orgId, ...(q.params ?? [])];
    const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM account a WHERE ${where}`, params);
    if (q.limit === 0 || n === 0) return { total: n, accounts: [] };
    const order = `${q.orderBy ? `${q.orderBy}, ` : ''}a.created_at, a.id`;
    const rows: AccountRow[] = await m.query(windowSql(`SELECT ${COLUMNS} FROM account a WHERE ${where}`, 'a', order, q, n), params);
    return { total: n, accounts: rows.map(toRecord) };
  }

  /** The existing, non-deleted accounts of the org among these ids. */
  async existing(m: EntityManager, orgId: string, ids: readonly string[]): Promise<Set<string>> {
    const candidates = ids.filter(isUuid);
    if (candidates.length === 0) return new Set();
    const rows: { id: string }[] = await m.query(`SELECT id FROM account WHERE org_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL`, [
      orgId,
      candidates,
    ]);
    return new Set(rows.map((r) => r.id));
  }

  /** Direct group memberships, for the read-only User "groups" attribute. */
  async groupsOf(m: EntityManager, orgId: string, accountIds: readonly string[]): Promise<Map<string, AccountGroupRef[]>> {
    const out = new Map<string, AccountGroupRef[]>();
    if (accountIds.length === 0) return out;
    for (const r of await membershipsOfAccounts(m, orgId, accountIds)) {
      const list = out.get(r.account_id) ?? [];
      list.push({ groupId: r.group_id, displayName: r.display_name });
      out.set(r.account_id, list);
    }
    return out;
  }

  /** Each account's devices with the status of their newest certificate. */
  devicesOf(m: EntityManager, orgId: string, accountIds: readonly string[]): Promise<Map<string, DeviceSummary[]>> {
    return this.devices.summariesOf(m, orgId, accountIds);
  }

  /** A deleted account leaves every group (its tombstone is no one's member). */
  async leaveAllGroups(m: EntityManager, orgId: string, accountId: string): Promise<void> {
    await removeAccountEverywhere(m, orgId, accountId);
  }
}
