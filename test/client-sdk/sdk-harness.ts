import {
  generateDeviceKeys,
  IdentityClient,
  keyBoundNonce,
  type Clock,
  type EnrolledDevice,
  type FetchLike,
  type IdentityClientOptions,
} from '#client-sdk';
import { insertScimAccount, nativeSignIn, type Harness } from '../enrollment/enrollment-harness.js';

export const USERS = {
  alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
  bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] },
  carol: { email: 'carol@acme.example', amr: ['pwd', 'mfa'] },
};

export async function provision(h: Harness): Promise<Record<keyof typeof USERS, string>> {
  return {
    alice: await insertScimAccount(h, { userName: USERS.alice.email }),
    bob: await insertScimAccount(h, { userName: USERS.bob.email }),
    carol: await insertScimAccount(h, { userName: USERS.carol.email }),
  };
}

export function sdkClient(h: Harness, options: Partial<IdentityClientOptions> = {}): IdentityClient {
  return new IdentityClient({ baseUrl: h.t.url, org: h.org.slug, ...options });
}

/** A native app's enrollment: sign in at the IdP with the key-bound nonce, then the SDK's token flow. */
export async function enrollWithToken(h: Harness, client: IdentityClient, login: keyof typeof USERS, ciphersuite = 1): Promise<EnrolledDevice> {
  const keys = await generateDeviceKeys(ciphersuite);
  const idToken = await nativeSignIn(h.idp, login, await keyBoundNonce(keys));
  return client.enroll({ flow: 'token', keys, idToken, deviceName: `${login}'s laptop`, platform: 'linux' });
}

/** Real time, but every timer is cut short (tests do not wait whole polling intervals); delays are recorded. */
export function hurriedClock(onTimer: (ms: number) => Promise<void> | void = () => undefined): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimer(fn, ms) {
      delays.push(ms);
      let cancelled = false;
      void Promise.resolve(onTimer(ms)).then(() => setTimeout(() => !cancelled && fn(), 10));
      return () => {
        cancelled = true;
      };
    },
  };
}

/** A fetch that passes requests through `rewrite` (to play a lying or broken service). */
export function tamperingFetch(rewrite: (path: string, res: Response) => Promise<Response> | Response): FetchLike {
  return async (input, init) => rewrite(new URL(input).pathname + new URL(input).search, await fetch(input, init));
}
