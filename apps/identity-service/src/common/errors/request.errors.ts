import { defineErrors } from './domain-error.js';

/**
 * Refusals of a request's shape that any route can give, whatever it is about: one code per
 * condition, so a client reads `too_large` the same way on every endpoint.
 */
export const RequestErrors = defineErrors('request', {
  empty: ['invalid_input', 'the request names nothing to act on (no chains, fingerprints or credential)'],
  too_many: ['invalid_input', 'the request names more items than the endpoint takes at once'],
  too_large: ['too_large', 'a field decodes to more bytes than the endpoint accepts'],
  too_deep: ['invalid_input', 'the JSON body nests objects and arrays more deeply than the service accepts (64 levels)'],
  invalid_cursor: [
    'invalid_input',
    'the page cursor was not issued by this service for this listing and these filters (edited, truncated or reused)',
  ],
  not_base64: ['invalid_input', 'a field that carries bytes is not strict base64 (standard or url alphabet)'],
});
