import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { SecretBox } from '../keys/index.js';
import { IdpConnection, type IdpKind } from './idp-connection.entity.js';
import { OrgErrors, orgNotFound } from './orgs.errors.js';
import { effectiveSettings, mergeSettings, type OrgSettings } from './org-settings.js';
import { Org } from './org.entity.js';

export interface NewIdpConnection {
  name: string;
  kind: IdpKind;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  claimMapping?: Record<string, string>;
  allowedTenants?: string[];
  requireMfa?: boolean;
  nativeClientIds?: string[];
  matchByVerifiedEmail?: boolean;
}

/** Something another capability must set up for every new org (its CA, its log key...). */
export type OrgInitializer = (manager: EntityManager, org: Org) => Promise<void>;

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class OrgsService {
  private readonly initializers: OrgInitializer[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
  ) {}

  /** Capabilities register here at module init; org creation runs them in its transaction. */
  onOrgCreated(initializer: OrgInitializer): void {
    this.initializers.push(initializer);
  }

  async create(actor: string, slug: string, name: string): Promise<Org> {
    try {
      return await this.dataSource.transaction(async (m) => {
        const org = await m.save(m.create(Org, { slug, name, settings: {} }));
        for (const init of this.initializers) await init(m, org);
        await this.audit.record(m, { orgId: org.id, actor, action: 'org.create', target: `org:${org.id}`, details: { slug, name } });
        return org;
      });
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) OrgErrors.raise('org_exists', `org "${slug}" already exists`);
      throw e;
    }
  }

  list(): Promise<Org[]> {
    return this.dataSource.getRepository(Org).find({ order: { createdAt: 'ASC' } });
  }

  async findBySlug(slug: string): Promise<Org | null> {
    return this.dataSource.getRepository(Org).findOneBy({ slug });
  }

  async requireBySlug(slug: string): Promise<Org> {
    const org = await this.findBySlug(slug);
    if (!org) throw orgNotFound(slug);
    return org;
  }

  /** The org of an id another module holds (a CA, a session, a removal), in its transaction if given. */
  async findById(id: string, manager?: EntityManager): Promise<Org | null> {
    return (manager ?? this.dataSource.manager).findOneBy(Org, { id });
  }

  /** Ids come from rows that reference the org by foreign key, so a miss is a fault (500), not a 404. */
  async requireById(id: string, manager?: EntityManager): Promise<Org> {
    const org = await this.findById(id, manager);
    if (!org) throw new Error(`no org ${id}`);
    return org;
  }

  /** The org's effective policy (stored values over defaults), read in the caller's transaction if given. */
  async settings(orgId: string, manager?: EntityManager): Promise<OrgSettings> {
    return effectiveSettings((await this.requireById(orgId, manager)).settings);
  }

  /**
   * Locks the org row in the caller's transaction, to serialise work per org (CA rotation, a
   * log's creation). `no key update` still lets rows referencing the org be written meanwhile.
   */
  async lock(manager: EntityManager, orgId: string, mode: 'update' | 'no key update' = 'update'): Promise<Org> {
    const org = await manager
      .getRepository(Org)
      .createQueryBuilder('o')
      .setLock(mode === 'update' ? 'pessimistic_write' : 'for_no_key_update')
      .where('o.id = :orgId', { orgId })
      .getOne();
    if (!org) throw new Error(`no org ${orgId}`);
    return org;
  }

  async updateSettings(actor: string, org: Org, patch: unknown): Promise<Org> {
    return this.dataSource.transaction(async (m) => {
      const locked = await this.lock(m, org.id);
      const before = locked.settings;
      locked.settings = mergeSettings(locked.settings, patch);
      const saved = await m.save(locked);
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'org.settings.update',
        target: `org:${org.id}`,
        details: { patch },
        before: { settings: before },
        after: { settings: saved.settings },
      });
      return saved;
    });
  }

  async addIdpConnection(actor: string, org: Org, input: NewIdpConnection): Promise<IdpConnection> {
    try {
      return await this.dataSource.transaction(async (m) => {
        const row = m.create(IdpConnection, {
          orgId: org.id,
          name: input.name,
          kind: input.kind,
          issuer: input.issuer,
          clientId: input.clientId,
          claimMapping: input.claimMapping ?? {},
          allowedTenants: input.allowedTenants ?? [],
          requireMfa: input.requireMfa ?? false,
          matchByVerifiedEmail: input.matchByVerifiedEmail ?? false,
          nativeClientIds: input.nativeClientIds ?? [],
          clientSecretSealed: null,
        });
        row.id = crypto.randomUUID();
        if (input.clientSecret) {
          row.clientSecretSealed = this.box.seal(Buffer.from(input.clientSecret, 'utf8'), `idp_connection:${row.id}`);
        }
        const saved = await m.save(row);
        await this.audit.record(m, {
          orgId: org.id,
          actor,
          action: 'idp_connection.create',
          target: `idp_connection:${saved.id}`,
          details: {
            name: input.name,
            kind: input.kind,
            issuer: input.issuer,
            clientId: input.clientId,
            matchByVerifiedEmail: input.matchByVerifiedEmail ?? false,
          },
        });
        return saved;
      });
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
        OrgErrors.raise('idp_connection_exists', `org "${org.slug}" already has an IdP connection named "${input.name}"`);
      }
      throw e;
    }
  }

  /** The org's IdP connections, oldest first. */
  listIdpConnections(orgId: string): Promise<IdpConnection[]> {
    return this.dataSource.getRepository(IdpConnection).find({ where: { orgId }, order: { createdAt: 'ASC' } });
  }

  findIdpConnection(orgId: string, id: string, manager?: EntityManager): Promise<IdpConnection | null> {
    return (manager ?? this.dataSource.manager).findOneBy(IdpConnection, { id, orgId });
  }

  async getIdpConnection(org: Org, id: string): Promise<IdpConnection> {
    const row = await this.findIdpConnection(org.id, id);
    if (!row) throw OrgErrors.error('idp_connection_not_found', `no IdP connection ${id} in org "${org.slug}"`);
    return row;
  }

  /** The decrypted client secret, for the enrollment flow's token exchange only. */
  idpClientSecret(connection: IdpConnection): string | null {
    if (!connection.clientSecretSealed) return null;
    return this.box.open(connection.clientSecretSealed, `idp_connection:${connection.id}`).toString('utf8');
  }

  async removeIdpConnection(actor: string, org: Org, id: string): Promise<void> {
    const row = await this.getIdpConnection(org, id);
    await this.dataSource.transaction(async (m) => {
      await m.delete(IdpConnection, { id: row.id, orgId: row.orgId });
      await this.audit.record(m, {
        orgId: row.orgId,
        actor,
        action: 'idp_connection.delete',
        target: `idp_connection:${id}`,
        before: { name: row.name, kind: row.kind, issuer: row.issuer, clientId: row.clientId },
      });
    });
  }
}
