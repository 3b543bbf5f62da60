import { BadRequestException, Injectable } from '@nestjs/common';
import type { Credential } from 'ts-mls';
import { decodeX509Credential, inspectKeyPackage, MlsGlueError } from '#mls';
import { ciphersuiteCode } from '../removals/external-sender.service.js';
import { withMlsProblems } from '../removals/mls-problem.js';
import { MemberJudgeService, type MemberVerdict } from './member-judge.service.js';

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
        if (e instanceof MlsGlueError) throw new BadRequestException({ message: e.message, reason: 'malformed_credential' });
        throw e;
      }
    } else if (input.chain && input.chain.length > 0) {
      chain = input.chain;
    } else {
      throw new BadRequestException({ message: 'give credential or chain', reason: 'empty' });
    }
    const credential: Credential = { credentialType: 'x509', certificates: chain };
    const [verdict] = await this.judge.judge(orgId, [{ credential, signaturePublicKey: input.signatureKey ?? new Uint8Array() }], {
      checkKeys: input.signatureKey !== undefined,
    });
    return view(verdict!);
  }

  /** A KeyPackage MLSMessage: both signatures (§10.1, §7.2), then its credential as above. */
  async keyPackage(orgId: string, bytes: Uint8Array) {
    const kp = await withMlsProblems(() => inspectKeyPackage(bytes));
    const [verdict] = await this.judge.judge(orgId, [{ credential: kp.credential, signaturePublicKey: kp.signaturePublicKey }]);
    const suite = ciphersuiteCode(kp.cipherSuite);
    if (verdict!.deviceCiphersuite !== undefined && verdict!.deviceCiphersuite !== suite) {
      verdict!.reasons.push('ciphersuite_mismatch');
      verdict!.valid = false;
    }
    return { ...view(verdict!), ciphersuite: suite, keyPackageRef: Buffer.from(kp.keyPackageRef).toString('base64') };
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
