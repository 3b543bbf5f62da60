import { checkSignInFreshness } from './sign-in-freshness.js';

const now = new Date('2026-11-29T12:00:00Z');
const at = (secondsAgo: number) => Math.floor(now.getTime() / 1000) - secondsAgo;
const reasonOf = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('checkSignInFreshness (auth_time against org policy)', () => {
  it('accepts a recent sign-in and refuses one older than the limit (beyond skew)', () => {
    expect(reasonOf(() => checkSignInFreshness({ auth_time: at(100) }, { maxAgeS: 300, required: true, now }))).toBeUndefined();
    expect(reasonOf(() => checkSignInFreshness({ auth_time: at(300 + 121) }, { maxAgeS: 300, required: true, now }))).toBe('sign_in_too_old');
  });

  it('refuses a missing auth_time only when it was requested', () => {
    expect(reasonOf(() => checkSignInFreshness({}, { maxAgeS: 300, required: true, now }))).toBe('id_token_claim_missing');
    expect(reasonOf(() => checkSignInFreshness({}, { maxAgeS: 300, required: false, now }))).toBeUndefined();
    expect(reasonOf(() => checkSignInFreshness({ auth_time: 'yesterday' }, { maxAgeS: 300, required: false, now }))).toBe('id_token_claim_missing');
  });

  it('with prompt=login, refuses a sign-in from before the enrollment started', () => {
    const started = new Date(now.getTime() - 60_000);
    expect(reasonOf(() => checkSignInFreshness({ auth_time: at(30) }, { maxAgeS: 600, required: true, notBefore: started, now }))).toBeUndefined();
    expect(reasonOf(() => checkSignInFreshness({ auth_time: at(400) }, { maxAgeS: 600, required: true, notBefore: started, now }))).toBe(
      'sign_in_too_old',
    );
  });

  it('refuses a sign-in in the future', () => {
    expect(reasonOf(() => checkSignInFreshness({ auth_time: at(-600) }, { maxAgeS: 300, required: true, now }))).toBe('id_token_not_yet_valid');
  });
});
