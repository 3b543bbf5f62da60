import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'mlsid:public';

/**
 * The route is deliberately open (health, metrics, public PKI and log material). Kept in the
 * shared kernel so infrastructure (health, metrics) can mark its routes without depending on
 * auth, which depends on features; auth's fail-closed guard reads the mark.
 */
export function Public() {
  return SetMetadata(PUBLIC_ROUTE, true);
}
