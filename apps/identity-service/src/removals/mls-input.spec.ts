import { DomainError } from '../common/errors/domain-error.js';
import { ExternalSenderService } from './external-sender.service.js';
import { decodeBase64Field, groupIdFromPath } from './mls-input.js';
import { RemovalErrors } from './removals.errors.js';

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return [e.code, e.kind];
    throw e;
  }
  return undefined;
};

describe('MLS input helpers', () => {
  it('decodes strict base64 in either alphabet', () => {
    expect(Buffer.from(decodeBase64Field('+/8=', 'f', 10))).toEqual(Buffer.from([0xfb, 0xff]));
    expect(Buffer.from(decodeBase64Field('-_8', 'f', 10))).toEqual(Buffer.from([0xfb, 0xff]));
  });

  it('refuses what is not base64 as invalid input', () => {
    for (const bad of ['', 'not base64!', 'AA===', 7, undefined])
      expect(reasonOf(() => decodeBase64Field(bad, 'f', 10))).toEqual(['not_base64', 'invalid_input']);
  });

  it('refuses more bytes than allowed as too large', () => {
    expect(reasonOf(() => decodeBase64Field('A'.repeat(100), 'f', 10))).toEqual(['too_large', 'too_large']);
  });

  it('takes group ids as canonical unpadded base64url of 1 to 255 bytes', () => {
    expect(groupIdFromPath('cm9vbQ').toString()).toBe('room');
    for (const bad of ['', 'not=base64url', 'cm9vbQ==', 'cm9vbR', 'A'.repeat(345), Buffer.alloc(256).toString('base64url')]) {
      expect(reasonOf(() => groupIdFromPath(bad))).toEqual(['bad_group_id', 'invalid_input']);
    }
  });
});

describe('external senders', () => {
  it('exist only for the suites the service acts in', async () => {
    // refused before any key or certificate is touched
    const senders = new ExternalSenderService(undefined as never, undefined as never, undefined as never);
    const refused = await senders.ensure('org', 0x0004).catch((e: unknown) => e);
    expect(RemovalErrors.is(refused, 'unsupported_ciphersuite')).toBe(true);
    expect(refused).toMatchObject({ kind: 'invalid_input' });
  });
});
