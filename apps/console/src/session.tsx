import { createContext, useContext } from 'react';
import type { AdminRole } from './access.js';

/** The signed-in admin, as GET /v1/admin/session answers. */
export interface AdminSession {
  actor: string;
  /** The org the admin signed in to (null for a platform admin). */
  org: string | null;
  via: 'session' | 'bearer' | 'break-glass';
  roles: AdminRole[];
  csrfToken?: string;
  expiresAt?: string;
  name?: string;
  email?: string;
}

/** The session the pages see: always in one org. */
export type OrgSession = AdminSession & { orgSlug: string };

export const SessionContext = createContext<OrgSession | null>(null);

export function useSession(): OrgSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no admin session');
  return session;
}
