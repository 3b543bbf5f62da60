import { FakeClock } from '../test-support/fake-clock.js';
import { fakeFetch, issuedAnswer } from '../test-support/fake-fetch.js';
import type { EnrolledDevice } from './device-certificate.js';
import { parseIssuedCertificate } from './device-certificate.js';
import { generateDeviceKeys } from './device-keys.js';
import { AutoRenewal, type RenewalEvent } from './renewal.js';
import { ServiceTransport } from './service-transport.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function setup(answers: ({ status: number; body?: unknown } | ((now: number) => { status: number; body?: unknown }))[]) {
  const clock = new FakeClock();
  const start = clock.now();
  let serial = 1;
  const { fetch, seen } = fakeFetch(() => {
    const next = answers.shift() ?? { status: 500 };
    return typeof next === 'function' ? next(clock.now()) : next;
  });
  const keys = await generateDeviceKeys(1);
  const device: EnrolledDevice = {
    org: 'acme',
    accountId: 'acc-1',
    deviceId: 'dev-1',
    keys,
    certificate: parseIssuedCertificate(issuedAnswer({ deviceId: 'dev-1', notBefore: new Date(start), notAfter: new Date(start + 30 * DAY) })),
  };
  const events: RenewalEvent[] = [];
  const transport = new ServiceTransport({ baseUrl: 'http://id.test', fetch, now: () => clock.now() });
  const renewed = (now: number) => ({
    status: 200,
    body: issuedAnswer({
      deviceId: 'dev-1',
      notBefore: new Date(now),
      notAfter: new Date(now + 30 * DAY),
      serial: String(++serial),
      extra: { keyRotated: false },
    }),
  });
  return { clock, start, seen, device, events, transport, renewed };
}

describe('AutoRenewal timing (fake clock)', () => {
  it('renews at the service hint (two thirds of the lifetime), not before, then reschedules from the new certificate', async () => {
    const s = await setup([]);
    const answers = [s.renewed, s.renewed];
    const { fetch } = fakeFetch(() => answers.shift()!(s.clock.now()));
    const renewal = new AutoRenewal(new ServiceTransport({ baseUrl: 'http://id.test', fetch }), s.device, {
      clock: s.clock,
      onEvent: (e) => s.events.push(e),
    }).start();
    s.clock.quiesce = () => renewal.settled();
    expect(s.events[0]).toEqual({ type: 'scheduled', at: new Date(s.start + 20 * DAY) });
    await s.clock.advance(20 * DAY - 1);
    expect(s.events.filter((e) => e.type === 'renewed')).toHaveLength(0);
    await s.clock.advance(1);
    const renewed = s.events.filter((e) => e.type === 'renewed');
    expect(renewed).toHaveLength(1);
    expect(s.device.certificate.serial).toBe('2');
    expect(s.events.at(-1)).toEqual({ type: 'scheduled', at: new Date(s.start + 40 * DAY) });
    renewal.stop();
    await s.clock.advance(60 * DAY);
    expect(s.events.filter((e) => e.type === 'renewed')).toHaveLength(1);
  });

  it('with a margin, renews that long before notAfter, signed with the current certificate', async () => {
    const s = await setup([]);
    const { fetch, seen } = fakeFetch(() => s.renewed(s.clock.now()));
    const renewal = new AutoRenewal(new ServiceTransport({ baseUrl: 'http://id.test', fetch }), s.device, {
      clock: s.clock,
      marginMs: 2 * DAY,
      onEvent: (e) => s.events.push(e),
    }).start();
    s.clock.quiesce = () => renewal.settled();
    await s.clock.advance(28 * DAY - 1);
    expect(seen).toHaveLength(0);
    await s.clock.advance(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/v1/devices/dev-1/certificate/renew' });
    expect(seen[0]!.headers.authorization).toMatch(/^MLS-Device [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(seen[0]!.body!).csr).toContain('BEGIN CERTIFICATE REQUEST');
  });

  it('renews at once when the renewal time has already passed', async () => {
    const s = await setup([]);
    await s.clock.advance(25 * DAY);
    const { fetch, seen } = fakeFetch(() => s.renewed(s.clock.now()));
    const renewal = new AutoRenewal(new ServiceTransport({ baseUrl: 'http://id.test', fetch }), s.device, { clock: s.clock }).start();
    s.clock.quiesce = () => renewal.settled();
    await s.clock.advance(0);
    expect(seen).toHaveLength(1);
  });

  it('retries transient failures with doubling backoff, then succeeds', async () => {
    const s = await setup([]);
    const answers: ((n: number) => { status: number; body?: unknown })[] = [() => ({ status: 503 }), () => ({ status: 502 }), s.renewed];
    const { fetch } = fakeFetch(() => answers.shift()!(s.clock.now()));
    const renewal = new AutoRenewal(new ServiceTransport({ baseUrl: 'http://id.test', fetch }), s.device, {
      clock: s.clock,
      retryDelayMs: 60_000,
      onEvent: (e) => s.events.push(e),
    }).start();
    s.clock.quiesce = () => renewal.settled();
    await s.clock.advance(20 * DAY);
    const retry1 = s.events.find((e) => e.type === 'retrying');
    expect(retry1).toMatchObject({ type: 'retrying', at: new Date(s.start + 20 * DAY + 60_000) });
    await s.clock.advance(60_000);
    expect(s.events.filter((e) => e.type === 'retrying').at(-1)).toMatchObject({ at: new Date(s.start + 20 * DAY + 60_000 + 120_000) });
    await s.clock.advance(120_000);
    expect(s.events.filter((e) => e.type === 'renewed')).toHaveLength(1);
  });

  it.each([
    [401, 'certificate_revoked', 'revoked'],
    [409, 'device_revoked', 'revoked'],
    [403, 'reauthentication_required', 'reauthentication-required'],
    [409, 'signature_key_already_used', 'key-already-used'],
    [401, 'certificate_expired', 'expired'],
    [400, 'csr_invalid', 'refused'],
  ])('stops with a clear event when the service refuses (%i %s)', async (status, reason, refusal) => {
    const s = await setup([]);
    const { fetch, seen } = fakeFetch(() => ({ status, body: { type: 'x', title: 't', status, detail: 'no', reason } }));
    const renewal = new AutoRenewal(new ServiceTransport({ baseUrl: 'http://id.test', fetch }), s.device, {
      clock: s.clock,
      onEvent: (e) => s.events.push(e),
    }).start();
    s.clock.quiesce = () => renewal.settled();
    await s.clock.advance(20 * DAY);
    expect(s.events.at(-1)).toMatchObject({ type: 'refused', refusal, serviceReason: reason });
    expect(renewal.running).toBe(false);
    await s.clock.advance(30 * DAY);
    expect(seen).toHaveLength(1);
  });

  it('rotates the key when asked: the new key is used only after the service accepted it', async () => {
    const s = await setup([]);
    const oldKey = s.device.keys;
    const { fetch, seen } = fakeFetch(() => s.renewed(s.clock.now()));
    const renewal = new AutoRenewal(new ServiceTransport({ baseUrl: 'http://id.test', fetch }), s.device, {
      clock: s.clock,
      rotateKey: true,
    }).start();
    s.clock.quiesce = () => renewal.settled();
    await s.clock.advance(20 * DAY);
    expect(seen).toHaveLength(1);
    expect(s.device.keys).not.toBe(oldKey);
    expect(s.device.keys.signaturePublicKey).not.toEqual(oldKey.signaturePublicKey);
  });
});
