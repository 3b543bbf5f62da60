import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import type { DataSource } from 'typeorm';
import { DEVICE_AUTH_SCHEME, DeviceSignatureError, leafOf, MAX_REQUEST_AGE_SECONDS, verifyDeviceRequest } from '#protocol';
import type { Principal } from './principal.js';

/**
 * An enrolled device, proven by a request signed with the key of its current certificate
 * (libs/protocol device-request-signature.ts, shared with the SDK and the CLI). Only certificates this service issued and still
 * considers active are accepted, so revocation takes effect on the next request.
 */
@Injectable()
export class DeviceSignatureStrategy extends PassportStrategy(Strategy, 'device-signature') {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async validate(req: Request & { rawBody?: Buffer }): Promise<Principal | false> {
    const header = req.headers.authorization;
    if (!header?.startsWith(`${DEVICE_AUTH_SCHEME} `)) return false;
    const jws = header.slice(DEVICE_AUTH_SCHEME.length + 1).trim();
    try {
      const { leafDer } = leafOf(jws);
      const [row] = await this.dataSource.query(
        `SELECT c.id AS certificate_id, c.status, c.not_after, d.id AS device_id, d.account_id, d.status AS device_status,
                o.id AS org_id, o.slug
           FROM certificate c JOIN device d ON d.id = c.device_id JOIN org o ON o.id = c.org_id
          WHERE c.sha256 = $1`,
        [createHash('sha256').update(leafDer).digest()],
      );
      if (!row) throw new DeviceSignatureError('unknown_certificate', 'the certificate was not issued by this service');
      if (row.status !== 'active' || row.device_status !== 'active') {
        throw new DeviceSignatureError('certificate_revoked', 'the certificate or its device is revoked or superseded');
      }
      if (new Date(row.not_after).getTime() < Date.now()) throw new DeviceSignatureError('certificate_expired', 'the certificate has expired');
      const claims = await verifyDeviceRequest(jws, leafDer, {
        method: req.method,
        pathWithQuery: req.originalUrl,
        body: req.rawBody,
      });
      const fresh = await this.dataSource.query(
        `INSERT INTO request_nonce (nonce, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT DO NOTHING RETURNING nonce`,
        [`device:${row.device_id}:${claims.jti}`, claims.iat + MAX_REQUEST_AGE_SECONDS],
      );
      if (fresh.length === 0) throw new DeviceSignatureError('replayed', 'this signed request was already used');
      if (Math.random() < 0.01) await this.dataSource.query('DELETE FROM request_nonce WHERE expires_at < now()');
      return {
        kind: 'device',
        actor: `device:${row.device_id}`,
        orgId: row.org_id,
        orgSlug: row.slug,
        deviceId: row.device_id,
        accountId: row.account_id,
        certificateId: row.certificate_id,
      };
    } catch (e) {
      if (e instanceof DeviceSignatureError) throw new UnauthorizedException({ message: e.message, reason: e.reason });
      throw e;
    }
  }
}
