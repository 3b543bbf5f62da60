import { createContext, useContext } from 'react';
import type { AdminRole } from './access.js';

/** The signed-in admin, as GET /v1/admin/session answers. */
export interface AdminSession {
  actor: string;
  orgSlug: string;
  orgId: string;
  roles: AdminRole[];
  csrfToken?: string;
  expiresAt?: string;
  name?: string;
  email?: string;
}

export const SessionContext = createContext<AdminSession | null>(null);

export function useSession(): AdminSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no admin session');
  return session;
}
