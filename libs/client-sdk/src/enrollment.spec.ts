import { FakeClock } from '../test-support/fake-clock.js';
import { fakeFetch, issuedAnswer } from '../test-support/fake-fetch.js';
import { generateDeviceKeys } from './device-keys.js';
import { enroll, type UserCodePrompt } from './enrollment.js';
import { EnrollmentFailed } from './errors.js';
import { ServiceTransport } from './service-transport.js';

const problem = (status: number, reason: string, extra: Record<string, unknown> = {}) => ({ status, body: { title: 'x', status, reason, ...extra } });

async function deviceFlow(pollAnswers: { status: number; body?: unknown }[], interval?: number) {
  const clock = new FakeClock();
  const { fetch, seen } = fakeFetch((req) => {
    if (req.path === '/v1/orgs/acme/enrollments') {
      return {
        status: 201,
        body: {
          enrollmentId: 'e1',
          flow: 'device',
          enrollmentSecret: 'secret-1',
          expiresAt: new Date(clock.now() + 600_000).toISOString(),
          verificationUri: 'https://idp.test/device',
          userCode: 'WDJB-MJHT',
          ...(interval !== undefined && { interval }),
        },
      };
    }
    return pollAnswers.shift() ?? { status: 500 };
  });
  const prompts: UserCodePrompt[] = [];
  const transport = new ServiceTransport({ baseUrl: 'http://id.test/', fetch });
  const done = enroll(
    { transport, org: 'acme', clock },
    { flow: 'device', keys: await generateDeviceKeys(1), deviceName: 'cli', platform: 'linux', onUserCode: (p) => void prompts.push(p) },
  );
  done.catch(() => undefined);
  return { clock, seen, prompts, done };
}

describe('device code enrollment polling (RFC 8628 §3.4, §3.5)', () => {
  it('shows the user code, polls at the interval, adds 5 s on slow_down, and returns the enrolled device', async () => {
    const ok = {
      status: 200,
      body: {
        enrollmentId: 'e1',
        status: 'completed',
        flow: 'device',
        ...issuedAnswer({ deviceId: 'd1', notBefore: new Date(), notAfter: new Date(Date.now() + 1e9) }),
      },
    };
    const { clock, seen, prompts, done } = await deviceFlow(
      [problem(400, 'authorization_pending', { interval: 3 }), problem(400, 'slow_down', { interval: 3 }), problem(400, 'authorization_pending'), ok],
      3,
    );
    await clock.untilTimerArmed();
    expect(prompts).toEqual([{ userCode: 'WDJB-MJHT', verificationUri: 'https://idp.test/device', expiresAt: expect.any(Date) }]);
    await clock.advance(2999);
    expect(seen.filter((r) => r.path.endsWith('/poll'))).toHaveLength(0);
    await clock.advance(1);
    expect(seen.filter((r) => r.path.endsWith('/poll'))).toHaveLength(1);
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer secret-1');
    await clock.untilTimerArmed();
    await clock.advance(3000); // pending: same interval
    await clock.untilTimerArmed();
    await clock.advance(8000); // slow_down: 3 + 5
    await clock.untilTimerArmed();
    await clock.advance(8000); // and it stays slower
    const device = await done;
    expect(device).toMatchObject({ org: 'acme', deviceId: 'd1', accountId: 'acc-1' });
    expect(clock.delays).toEqual([3000, 3000, 8000, 8000]);
  });

  it('ends with EnrollmentFailed carrying the reason when the user declines', async () => {
    const { clock, done } = await deviceFlow([problem(403, 'access_denied')]);
    await clock.untilTimerArmed();
    await clock.advance(5000); // no interval given: RFC 8628's 5 s
    await expect(done).rejects.toEqual(expect.objectContaining({ constructor: EnrollmentFailed, reason: 'access_denied' }));
  });
});
