import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { SecretBox } from '../keys/secret-box.js';
import { IdpConnection, type IdpKind } from './idp-connection.entity.js';
import { orgNotFound } from './orgs.errors.js';
import { mergeSettings } from './org-settings.js';
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
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictException(`org "${slug}" already exists`);
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

  async updateSettings(actor: string, orgSlug: string, patch: unknown): Promise<Org> {
    return this.dataSource.transaction(async (m) => {
      const org = await m.getRepository(Org).createQueryBuilder('o').setLock('pessimistic_write').where('o.slug = :orgSlug', { orgSlug }).getOne();
      if (!org) throw orgNotFound(orgSlug);
      org.settings = mergeSettings(org.settings, patch);
      const saved = await m.save(org);
      await this.audit.record(m, { orgId: org.id, actor, action: 'org.settings.update', target: `org:${org.id}`, details: { patch } });
      return saved;
    });
  }

  async addIdpConnection(actor: string, orgSlug: string, input: NewIdpConnection): Promise<IdpConnection> {
    const org = await this.requireBySlug(orgSlug);
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
          details: { name: input.name, kind: input.kind, issuer: input.issuer, clientId: input.clientId },
        });
        return saved;
      });
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException(`org "${orgSlug}" already has an IdP connection named "${input.name}"`);
      }
      throw e;
    }
  }

  async listIdpConnections(orgSlug: string): Promise<IdpConnection[]> {
    const org = await this.requireBySlug(orgSlug);
    return this.dataSource.getRepository(IdpConnection).find({ where: { orgId: org.id }, order: { createdAt: 'ASC' } });
  }

  async getIdpConnection(orgSlug: string, id: string): Promise<IdpConnection> {
    const org = await this.requireBySlug(orgSlug);
    const row = await this.dataSource.getRepository(IdpConnection).findOneBy({ id, orgId: org.id });
    if (!row) throw new NotFoundException(`no IdP connection ${id} in org "${orgSlug}"`);
    return row;
  }

  /** The decrypted client secret, for the enrollment flow's token exchange only. */
  idpClientSecret(connection: IdpConnection): string | null {
    if (!connection.clientSecretSealed) return null;
    return this.box.open(connection.clientSecretSealed, `idp_connection:${connection.id}`).toString('utf8');
  }

  async removeIdpConnection(actor: string, orgSlug: string, id: string): Promise<void> {
    const row = await this.getIdpConnection(orgSlug, id);
    await this.dataSource.transaction(async (m) => {
      await m.delete(IdpConnection, { id: row.id, orgId: row.orgId });
      await this.audit.record(m, { orgId: row.orgId, actor, action: 'idp_connection.delete', target: `idp_connection:${id}` });
    });
  }
}
