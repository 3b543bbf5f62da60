import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminRoute, Permission } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { CertificatesService } from '../certificates/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { OutboxWorker } from '../outbox/index.js';
import { KtReader } from '../transparency/index.js';
import { DeviceRevocationService } from './device-revocation.service.js';
import { DevicesService } from './devices.service.js';
import { RevokeDto } from './dto/revoke.dto.js';

const uuid = new ParseUUIDPipe();

/** IT admins: the org's devices, a lost device, one bad certificate. */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org')
@AdminRoute('directory:read')
export class AdminDevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly revocation: DeviceRevocationService,
    private readonly certificates: CertificatesService,
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
  ) {}

  @Get('devices')
  async list(@OrgParam() org: Org, @Query('accountId') accountId?: string) {
    const devices = await this.devices.list(org.id, { accountId });
    return {
      devices: devices.map((d) => ({
        id: d.id,
        accountId: d.accountId,
        name: d.name,
        platform: d.platform,
        ciphersuite: d.ciphersuite,
        status: d.status,
        signatureKeySha256: d.signatureKeySha256.toString('hex'),
        createdAt: d.createdAt,
        revokedAt: d.revokedAt,
        revocationReason: d.revocationReason,
        expiredAt: d.expiredAt,
        /** The end of the device's newest certificate: the device expires the org's grace after it. */
        credentialNotAfter: d.credentialNotAfter,
      })),
    };
  }

  /** A lost or stolen device: its certificates are revoked and it is removed from its MLS groups. */
  @Post('devices/:id/revoke')
  @Permission('revocations:manage')
  async revokeDevice(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    const result = await this.revocation.revokeDevice(p.actor, org.id, id, body.reason ?? 'keyCompromise');
    return { ...result, transparency: await this.receipts(org, result.certificates) };
  }

  @Post('certificates/:id/revoke')
  @Permission('revocations:manage')
  async revokeCertificate(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    const result = await this.revocation.revokeCertificate(p.actor, org.id, id, body.reason ?? 'unspecified');
    return { ...result, transparency: result.revoked ? (await this.receipts(org, [id]))[0] : null };
  }

  /** The log entries of revoked certificates (waits briefly for the sequencer). */
  private async receipts(org: Org, certificateIds: string[]) {
    if (certificateIds.length === 0) return [];
    this.outbox.nudge();
    const revoked = await this.certificates.findByIds(org.id, certificateIds);
    return Promise.all(
      revoked.map(async (c) => ({ certificateId: c.id, ...(await this.kt.receipt(org, c.sha256.toString('hex'), 'certificate_revoked')) })),
    );
  }
}
