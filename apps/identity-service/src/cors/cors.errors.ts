import { defineErrors } from '../common/errors/domain-error.js';

export const CorsErrors = defineErrors('cors', {
  origin_not_allowed: [
    'forbidden',
    "the request comes from a browser page whose origin is not in the org's `cors.allowedOrigins` (preflight or actual request)",
  ],
});
