import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import type { DataSource } from 'typeorm';
import { CertificatesService } from '../certificates/index.js';
import { DevicesService, isActiveDevice } from '../devices/index.js';
import { OrgsService } from '../orgs/index.js';
import { DEVICE_AUTH_SCHEME, DeviceSignatureError, leafOf, MAX_REQUEST_AGE_SECONDS, verifyDeviceRequest } from '#protocol';
import type { Principal } from '../common/access/index.js';
import { purgeExpiredRequestNonces, spendRequestNonce } from './request-nonce.js';

/**
 * An enrolled device, proven by a request signed with the key of its current certificate
 * (libs/protocol device-request-signature.ts, shared with the SDK and the CLI). Only certificates this service issued and still
 * considers active are accepted, so revocation takes effect on the next request.
 */
@Injectable()
export class DeviceSignatureStrategy extends PassportStrategy(Strategy, 'device-signature') {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly certificates: CertificatesService,
    private readonly devices: DevicesService,
    private readonly orgs: OrgsService,
  ) {
    super();
  }

  async validate(req: Request & { rawBody?: Buffer }): Promise<Principal | false> {
    const header = req.headers.authorization;
    if (!header?.startsWith(`${DEVICE_AUTH_SCHEME} `)) return false;
    const jws = header.slice(DEVICE_AUTH_SCHEME.length + 1).trim();
    try {
      const { leafDer } = leafOf(jws);
      const m = this.dataSource.manager;
      const certificate = await this.certificates.findBySha256(createHash('sha256').update(leafDer).digest(), m);
      // Device and org each hang off the certificate alone: one round trip for both, not two in a row.
      const [device, org] = certificate?.deviceId
        ? await Promise.all([
            this.devices.findByIds(certificate.orgId, [certificate.deviceId], m).then((found) => found[0]),
            this.orgs.findById(certificate.orgId, m),
          ])
        : [undefined, null];
      if (!certificate || !device || !org) throw new DeviceSignatureError('unknown_certificate', 'the certificate was not issued by this service');
      // Only the current certificate of an active device: a superseded one no longer signs requests.
      if (certificate.status !== 'active' || !isActiveDevice(device)) {
        throw new DeviceSignatureError('certificate_revoked', 'the certificate or its device is revoked or superseded');
      }
      if (certificate.notAfter.getTime() < Date.now()) throw new DeviceSignatureError('certificate_expired', 'the certificate has expired');
      const claims = await verifyDeviceRequest(jws, leafDer, {
        method: req.method,
        pathWithQuery: req.originalUrl,
        body: req.rawBody,
      });
      if (!(await spendRequestNonce(m, `device:${device.id}:${claims.jti}`, claims.iat + MAX_REQUEST_AGE_SECONDS))) {
        throw new DeviceSignatureError('replayed', 'this signed request was already used');
      }
      if (Math.random() < 0.01) await purgeExpiredRequestNonces(m);
      return {
        kind: 'device',
        actor: `device:${device.id}`,
        orgId: org.id,
        orgSlug: org.slug,
        deviceId: device.id,
        accountId: device.accountId,
        certificateId: certificate.id,
      };
    } catch (e) {
      if (e instanceof DeviceSignatureError) throw new UnauthorizedException({ message: e.message, reason: e.reason });
      throw e;
    }
  }
}
