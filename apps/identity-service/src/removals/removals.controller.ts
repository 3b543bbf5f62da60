import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { decodeX509Credential, encodeExternalSenders } from '#mls';
import { AdminRoute, Authenticated, CurrentPrincipal, Public, type Principal } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { FeedQueryDto, GroupReportDto, ListQueryDto, MAX_GROUP_INFO_BYTES, MembershipPolicyDto } from './dto/removals.dto.js';
import { ExternalSenderService } from './external-sender.service.js';
import { GroupRegistryService } from './group-registry.service.js';
import { MembershipPolicyService } from './membership-policy.service.js';
import { decodeBase64Field, groupIdFromPath } from './mls-input.js';
import { OverdueRemovalsService } from './overdue-removals.service.js';
import { RemovalFeedService } from './removal-feed.service.js';
import { RemovalWebhooksService, webhookDeliveryView } from './removal-webhooks.service.js';
import { ReportStalenessService } from './report-staleness.service.js';
import { RoomAdminsService } from './room-admins.service.js';

type Ds = Extract<Principal, { kind: 'ds' }>;

@ApiTags('mls')
@Controller('v1')
export class RemovalsController {
  constructor(
    private readonly senders: ExternalSenderService,
    private readonly registry: GroupRegistryService,
    private readonly feed: RemovalFeedService,
    private readonly webhooks: RemovalWebhooksService,
    private readonly overdue: OverdueRemovalsService,
    private readonly admins: RoomAdminsService,
    private readonly membership: MembershipPolicyService,
    private readonly staleness: ReportStalenessService,
  ) {}

  /**
   * Public on purpose: a client must put these keys and certificates into the
   * external_senders extension when it creates a group, possibly before it has enrolled,
   * and they are public key material already published in every group's GroupContext and
   * verifiable against the org's public trust bundle. Nothing here is secret or per-caller.
   */
  @Get('orgs/:org/mls/external-senders')
  @Public()
  async externalSenders(@OrgParam() org: Org) {
    // during a rotation both senders of a suite: the current one (list it in new groups) first
    const senders = await this.senders.published(org.id);
    return {
      externalSenders: senders.map((s) => {
        const chain = decodeX509Credential(new Uint8Array(s.credential));
        const listOfOne = encodeExternalSenders([
          { signaturePublicKey: s.signatureKey, credential: { credentialType: 'x509', certificates: chain } },
        ]);
        return {
          ciphersuite: s.ciphersuite,
          signatureKey: s.signatureKey.toString('base64'),
          credential: s.credential.toString('base64'),
          chain: chain.map((c) => Buffer.from(c).toString('base64')),
          /** external_senders extension data (RFC 9420 §12.1.8.1 list form) listing this sender only */
          externalSendersExtensionData: Buffer.from(listOfOne).toString('base64'),
          notAfter: s.notAfter.toISOString(),
          /** `current`, or `retiring` while groups still move off it (do not list it in new groups) */
          status: s.status,
        };
      }),
    };
  }

  @Put('ds/groups/:groupId')
  @HttpCode(200)
  @Authenticated('ds')
  async report(@CurrentPrincipal() p: Ds, @Param('groupId') groupId: string, @Body() body: GroupReportDto) {
    const id = groupIdFromPath(groupId);
    return this.registry.report(p.orgId, p.clientId, id, decodeBase64Field(body.groupInfo, 'groupInfo', MAX_GROUP_INFO_BYTES));
  }

  @Get('ds/removals')
  @Authenticated('ds')
  async removals(@CurrentPrincipal() p: Ds, @Query() q: FeedQueryDto) {
    return this.feed.poll(p.orgId, p.clientId, q.after ?? '0', q.limit ?? 500, q.wait ?? 0);
  }

  @Get('ds/removals/overdue')
  @Authenticated('ds')
  async overdueForDs(@CurrentPrincipal() p: Ds, @Query() q: ListQueryDto) {
    return { removals: await this.overdue.list(p.orgId, q.limit ?? 100, p.clientId) };
  }

  /**
   * After a group was flagged (its DS could not show that a report descends from the stored
   * state), the org admin accepts that the owner's next report of a later epoch re-bases it;
   * that report is checked like a first registration (key-bound leaves, signer a valid active
   * device). Audited as mls_group.rebase_authorized.
   */
  @Post('admin/orgs/:org/mls/groups/:groupId/rebase')
  @HttpCode(200)
  @AdminRoute('groups:manage')
  async rebase(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('groupId') groupId: string) {
    return this.registry.authorizeRebase(org.id, groupIdFromPath(groupId), p.actor);
  }

  @Get('admin/orgs/:org/mls/groups/flagged')
  @AdminRoute('directory:read')
  async flagged(@OrgParam() org: Org, @Query() q: ListQueryDto) {
    return { groups: await this.registry.flagged(org.id, q.limit ?? 100) };
  }

  @Get('admin/orgs/:org/mls/removals/overdue')
  @AdminRoute('reports:read')
  async overdueForAdmin(@OrgParam() org: Org, @Query() q: ListQueryDto) {
    return { removals: await this.overdue.list(org.id, q.limit ?? 100) };
  }

  @Get('ds/webhooks/deliveries')
  @Authenticated('ds')
  async deliveries(@CurrentPrincipal() p: Ds, @Query() q: ListQueryDto) {
    return { deliveries: (await this.webhooks.list(p.orgId, p.clientId, q.limit ?? 100)).map(webhookDeliveryView) };
  }

  @Post('ds/webhooks/deliveries/:id/replay')
  @HttpCode(202)
  @Authenticated('ds')
  async replay(@CurrentPrincipal() p: Ds, @Param('id') id: string) {
    const { delivery, queued } = await this.webhooks.replay(p.orgId, p.clientId, id);
    return { ...webhookDeliveryView(delivery), replayQueued: queued };
  }

  /** Room admins: set by an org admin, or by a room admin through a device-signed request. */
  @Put('orgs/:org/mls/groups/:groupId/admins/:accountId')
  @HttpCode(200)
  @AdminRoute('groups:manage', 'device')
  async grant(
    @CurrentPrincipal() p: Principal,
    @OrgParam() org: Org,
    @Param('groupId') groupId: string,
    @Param('accountId', new ParseUUIDPipe()) accountId: string,
  ) {
    return { roomAdmins: await this.admins.set(p, org.id, groupIdFromPath(groupId), accountId, true) };
  }

  @Delete('orgs/:org/mls/groups/:groupId/admins/:accountId')
  @HttpCode(200)
  @AdminRoute('groups:manage', 'device')
  async revoke(
    @CurrentPrincipal() p: Principal,
    @OrgParam() org: Org,
    @Param('groupId') groupId: string,
    @Param('accountId', new ParseUUIDPipe()) accountId: string,
  ) {
    return { roomAdmins: await this.admins.set(p, org.id, groupIdFromPath(groupId), accountId, false) };
  }

  /** Who may add members to the group (issue 12 §4): the policy in force and where it comes from. */
  @Get('orgs/:org/mls/groups/:groupId/membership-policy')
  @AdminRoute('directory:read', 'device')
  async membershipPolicy(@OrgParam() org: Org, @Param('groupId') groupId: string) {
    return this.membership.get(org.id, groupIdFromPath(groupId));
  }

  /** Set by an org admin, or by a room admin through a device-signed request; null: back to the org default. */
  @Put('orgs/:org/mls/groups/:groupId/membership-policy')
  @HttpCode(200)
  @AdminRoute('policy:manage', 'device')
  async setMembershipPolicy(
    @CurrentPrincipal() p: Principal,
    @OrgParam() org: Org,
    @Param('groupId') groupId: string,
    @Body() body: MembershipPolicyDto,
  ) {
    return this.membership.set(p, org.id, groupIdFromPath(groupId), body.membershipPolicy);
  }

  /** Groups with open removals that have not been reported for settings.removals.reportStaleAfterMinutes, stalest first. */
  @Get('ds/removals/stale-groups')
  @Authenticated('ds')
  async staleGroupsForDs(@CurrentPrincipal() p: Ds, @Query() q: ListQueryDto) {
    return { groups: await this.staleness.list(p.orgId, q.limit ?? 100) };
  }

  @Get('admin/orgs/:org/mls/removals/stale-groups')
  @AdminRoute('reports:read')
  async staleGroupsForAdmin(@OrgParam() org: Org, @Query() q: ListQueryDto) {
    return { groups: await this.staleness.list(org.id, q.limit ?? 100) };
  }
}
