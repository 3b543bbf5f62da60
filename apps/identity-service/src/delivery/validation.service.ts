import { Injectable } from '@nestjs/common';
import { RequestErrors } from '../common/errors/request.errors.js';
import type { Credential } from 'ts-mls';
import { decodeX509Credential, inspectKeyPackage, MlsGlueError } from '#mls';
import { ciphersuiteCode } from '../removals/index.js';
import { DeliveryErrors } from './delivery.errors.js';
import { MemberJudgeService } from './member-judge.service.js';
import { withKeyPackageSuite, type MemberVerdict } from './member-verdict.js';

/** Credential and KeyPackage checks a delivery service runs before it lets anyone in. */
@Injectable()
export class ValidationService {
  constructor(private readonly judge: MemberJudgeService) {}

  /** An RFC 9420 §5.3 x509 Credential (or a bare chain); with `signatureKey`, the §5.3.1 binding too. */
  async credential(orgId: string, input: { credential?: Uint8Array; chain?: Uint8Array[]; signatureKey?: Uint8Array }) {
    let chain: Uint8Array[];
    if (input.credential) {
      try {
        chain = decodeX509Credential(input.credential);
      } catch (e) {
        if (e instanceof MlsGlueError) throw DeliveryErrors.error('malformed_credential', e.message);
        throw e;
      }
    } else if (input.chain && input.chain.length > 0) {
      chain = input.chain;
    } else {
      throw RequestErrors.error('empty', 'give credential or chain');
    }
    const credential: Credential = { credentialType: 'x509', certificates: chain };
    const [verdict] = await this.judge.judge(orgId, [{ credential, signaturePublicKey: input.signatureKey ?? new Uint8Array() }], {
      checkKeys: input.signatureKey !== undefined,
    });
    return view(verdict!);
  }

  /** A KeyPackage MLSMessage: both signatures (§10.1, §7.2), then its credential as above. */
  async keyPackage(orgId: string, bytes: Uint8Array) {
    const kp = await inspectKeyPackage(bytes);
    const [judged] = await this.judge.judge(orgId, [{ credential: kp.credential, signaturePublicKey: kp.signaturePublicKey }]);
    const suite = ciphersuiteCode(kp.cipherSuite);
    const verdict = withKeyPackageSuite(judged!, suite);
    return { ...view(verdict), ciphersuite: suite, keyPackageRef: Buffer.from(kp.keyPackageRef).toString('base64') };
  }
}

export function view(v: MemberVerdict) {
  return {
    valid: v.valid,
    status: v.status,
    fingerprint: v.fingerprint ?? null,
    identity: v.identity ?? null,
    reasons: v.reasons,
  };
}
