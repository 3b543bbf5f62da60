// HTTP to the identity service through the fetch the app gives (or the platform's). Errors
// become typed: ServiceRefusal for a 4xx with its problem+json `reason`, ServiceUnavailable
// for the network or a 5xx.
import { utf8 } from './base64.js';
import { ResponseMalformed, ServiceRefusal, ServiceUnavailable } from './errors.js';
import { signDeviceRequest, type SigningDevice } from './device-request-signature.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** The service root, e.g. `https://id.example.com` (requests go to `${baseUrl}/v1/...`). */
  baseUrl: string;
  fetch?: FetchLike;
  crypto?: Crypto;
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
}

export interface RequestOptions {
  body?: unknown;
  /** `Authorization: Bearer ...` (enrollment secret). */
  bearer?: string;
  /** Sign the request as this device (`Authorization: MLS-Device ...`). */
  device?: SigningDevice;
  /** The signature's jti, when the caller chose it first (re-authentication); fresh otherwise. */
  jti?: string;
  signal?: AbortSignal;
}

export interface RawAnswer {
  status: number;
  bytes: Uint8Array;
  contentType: string;
}

export class ServiceTransport {
  readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;

  constructor(readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const f = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (!f) throw new TypeError('no fetch: pass options.fetch');
    // a bare platform fetch must not be called as a method of this object
    this.fetchImpl = (input, init) => f(input, init);
  }

  /** Any answer, error statuses included (the caller inspects them). */
  async raw(method: string, pathWithQuery: string, options: RequestOptions = {}): Promise<RawAnswer> {
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*' };
    let body: Uint8Array | undefined;
    if (options.body !== undefined) {
      body = utf8(JSON.stringify(options.body));
      headers['content-type'] = 'application/json';
    }
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.device) {
      headers.authorization = await signDeviceRequest(
        options.device,
        { method, pathWithQuery, body },
        { now: this.options.now?.(), crypto: this.options.crypto, ...(options.jti !== undefined && { jti: options.jti }) },
      );
    }
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${pathWithQuery}`, { method, headers, body: body as RequestInit['body'], signal: options.signal });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      throw new ServiceUnavailable(`${method} ${pathWithQuery}: ${cause instanceof Error ? cause.message : 'network error'}`, { cause });
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw new ServiceUnavailable(`${method} ${pathWithQuery}: the answer was cut off`, { cause });
    }
    return { status: res.status, bytes, contentType: res.headers.get('content-type') ?? '' };
  }

  /** A 2xx answer's bytes; a refusal or failure otherwise. */
  async bytes(method: string, pathWithQuery: string, options: RequestOptions = {}): Promise<Uint8Array> {
    const answer = await this.raw(method, pathWithQuery, options);
    if (answer.status >= 200 && answer.status < 300) return answer.bytes;
    throw refusalOf(method, pathWithQuery, answer);
  }

  async text(method: string, pathWithQuery: string, options: RequestOptions = {}): Promise<string> {
    return decodeUtf8(await this.bytes(method, pathWithQuery, options), pathWithQuery);
  }

  async json<T = unknown>(method: string, pathWithQuery: string, options: RequestOptions = {}): Promise<T> {
    return parseJson<T>(await this.bytes(method, pathWithQuery, options), pathWithQuery);
  }
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ResponseMalformed(`${what}: the answer is not UTF-8`);
  }
}

export function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(decodeUtf8(bytes, what)) as T;
  } catch (e) {
    if (e instanceof ResponseMalformed) throw e;
    throw new ResponseMalformed(`${what}: the answer is not JSON`);
  }
}

/** The error for a non-2xx answer: its problem+json `reason` and `detail`/`message` when present. */
export function refusalOf(method: string, path: string, answer: RawAnswer): ServiceRefusal | ServiceUnavailable {
  let problem: { reason?: unknown; detail?: unknown; message?: unknown; title?: unknown } = {};
  try {
    problem = JSON.parse(new TextDecoder().decode(answer.bytes)) ?? {};
  } catch {
    problem = {};
  }
  const detail = [problem.detail, problem.message, problem.title].find((v) => typeof v === 'string') as string | undefined;
  const message = `${method} ${path} answered ${answer.status}${detail ? `: ${detail}` : ''}`;
  if (answer.status >= 500) return new ServiceUnavailable(message);
  return new ServiceRefusal(answer.status, typeof problem.reason === 'string' ? problem.reason : undefined, message);
}
