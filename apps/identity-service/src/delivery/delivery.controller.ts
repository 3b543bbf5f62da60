import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { decodeBase64Field, groupIdFromPath } from '../removals/index.js';
import { CommitAuthorizationService } from './commit-authorization.service.js';
import {
  CommitAuthorizationDto,
  CredentialValidationDto,
  KeyPackageValidationDto,
  MAX_COMMIT_BYTES,
  MAX_CREDENTIAL_BYTES,
  MAX_KEY_PACKAGE_BYTES,
  MAX_PROPOSAL_BYTES,
} from './dto/delivery.dto.js';
import { GroupAuditService } from './group-audit.service.js';
import { ValidationService } from './validation.service.js';

type Ds = Extract<Principal, { kind: 'ds' }>;

/** The delivery-service API: every answer is scoped to the DS client's org. */
@ApiTags('delivery-service')
@Controller('v1/ds')
export class DeliveryController {
  constructor(
    private readonly validation: ValidationService,
    private readonly commits: CommitAuthorizationService,
    private readonly audits: GroupAuditService,
  ) {}

  @Post('credentials/validate')
  @HttpCode(200)
  @Authenticated('ds')
  async validateCredential(@CurrentPrincipal() p: Ds, @Body() body: CredentialValidationDto) {
    return this.validation.credential(p.orgId, {
      credential: body.credential === undefined ? undefined : decodeBase64Field(body.credential, 'credential', MAX_CREDENTIAL_BYTES),
      chain: body.chain?.map((c, i) => decodeBase64Field(c, `chain[${i}]`, 16 * 1024)),
      signatureKey: body.signatureKey === undefined ? undefined : decodeBase64Field(body.signatureKey, 'signatureKey', 1024),
    });
  }

  @Post('key-packages/validate')
  @HttpCode(200)
  @Authenticated('ds')
  async validateKeyPackage(@CurrentPrincipal() p: Ds, @Body() body: KeyPackageValidationDto) {
    return this.validation.keyPackage(p.orgId, decodeBase64Field(body.keyPackage, 'keyPackage', MAX_KEY_PACKAGE_BYTES));
  }

  @Post('groups/:groupId/commits/authorize')
  @HttpCode(200)
  @Authenticated('ds')
  async authorize(@CurrentPrincipal() p: Ds, @Param('groupId') groupId: string, @Body() body: CommitAuthorizationDto) {
    return this.commits.authorize(
      p.orgId,
      p.clientId,
      groupIdFromPath(groupId),
      decodeBase64Field(body.commit, 'commit', MAX_COMMIT_BYTES),
      (body.proposals ?? []).map((x, i) => decodeBase64Field(x, `proposals[${i}]`, MAX_PROPOSAL_BYTES)),
    );
  }

  @Get('groups/:groupId/audit')
  @Authenticated('ds')
  async audit(@CurrentPrincipal() p: Ds, @Param('groupId') groupId: string) {
    return this.audits.audit(p.orgId, p.clientId, groupIdFromPath(groupId));
  }
}
