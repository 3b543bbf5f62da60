import type { FetchLike } from '../src/service-transport.js';

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch answering from a handler, recording every request. */
export function fakeFetch(
  handler: (req: SeenRequest) => { status: number; body?: unknown; text?: string } | Promise<{ status: number; body?: unknown; text?: string }>,
) {
  const seen: SeenRequest[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const req: SeenRequest = {
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      headers: Object.fromEntries(Object.entries((init?.headers as Record<string, string>) ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      ...(init?.body !== undefined && { body: new TextDecoder().decode(init.body as Uint8Array) }),
    };
    seen.push(req);
    const answer = await handler(req);
    const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    return new Response(text, { status: answer.status, headers: { 'content-type': answer.text !== undefined ? 'text/plain' : 'application/json' } });
  };
  return { fetch, seen };
}

/** An issued-chain view as the service sends it (enrollment and renewal). */
export function issuedAnswer(o: { deviceId: string; notBefore: Date; notAfter: Date; serial?: string; extra?: Record<string, unknown> }) {
  const lifetime = o.notAfter.getTime() - o.notBefore.getTime();
  return {
    deviceId: o.deviceId,
    accountId: 'acc-1',
    certificate: {
      id: `cert-${o.serial ?? '1'}`,
      serial: o.serial ?? '1',
      sha256: (o.serial ?? '1').padStart(64, '0'),
      notBefore: o.notBefore.toISOString(),
      notAfter: o.notAfter.toISOString(),
    },
    chainPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    chainDer: ['MIIB', 'MIIC'],
    credential: 'AAI=',
    renewAfter: new Date(o.notBefore.getTime() + (lifetime * 2) / 3).toISOString(),
    ...o.extra,
  };
}
