import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { ApiError, getJson, paths, postJson, setCsrfToken } from './api.js';
import { can, type AdminPermission } from './access.js';
import { ErrorNotice } from './components/Status.js';
import { Audit } from './pages/Audit.js';
import { GroupRoster, Groups } from './pages/Groups.js';
import { Overview } from './pages/Overview.js';
import { People } from './pages/People.js';
import { Person } from './pages/Person.js';
import { Settings } from './pages/Settings.js';
import { SignIn } from './pages/SignIn.js';
import { Transparency } from './pages/Transparency.js';
import { href, useRoute } from './router.js';
import { SessionContext, type AdminSession, type OrgSession } from './session.js';

interface NavItem {
  page: string;
  label: string;
  /** Shown only to admins whose roles grant one of these. */
  needs: AdminPermission[];
}

const NAV: NavItem[] = [
  { page: 'overview', label: 'Overview', needs: ['reports:read'] },
  { page: 'people', label: 'People', needs: ['directory:read'] },
  { page: 'groups', label: 'Groups', needs: ['directory:read'] },
  { page: 'transparency', label: 'Key transparency', needs: ['transparency:read'] },
  { page: 'audit', label: 'Audit log', needs: ['audit:read'] },
  { page: 'settings', label: 'Settings', needs: ['org:configure', 'policy:manage', 'keys:manage'] },
];

function Page({ page, params }: { page: string; params: string[] }) {
  switch (page) {
    case 'people':
      return params[0] ? <Person accountId={params[0]} /> : <People />;
    case 'groups':
      return params[0] ? <GroupRoster groupId={params[0]} /> : <Groups />;
    case 'transparency':
      return <Transparency accountId={params[0]} />;
    case 'audit':
      return <Audit />;
    case 'settings':
      return <Settings />;
    default:
      return <Overview />;
  }
}

export function App() {
  const [session, setSession] = useState<AdminSession | null | undefined>(undefined);
  const [failure, setFailure] = useState<Error | null>(null);
  const [opened, { toggle }] = useDisclosure();
  const route = useRoute();

  useEffect(() => {
    getJson<AdminSession>(paths.session()).then(
      (s) => {
        setCsrfToken(s.csrfToken ?? null);
        // back from the IdP: the page the admin was on when the sign-in started
        const back = sessionStorage.getItem('mlsid-console:return');
        if (back) {
          sessionStorage.removeItem('mlsid-console:return');
          if (back.startsWith('#/')) window.location.hash = back;
        }
        setSession(s);
      },
      (e: Error) => (e instanceof ApiError && e.status === 401 ? setSession(null) : setFailure(e)),
    );
  }, []);

  if (failure) return <ErrorNotice error={failure} />;
  if (session === undefined) return null;
  if (session === null) return <SignIn />;
  if (session.org === null)
    return <SignIn problem="A platform admin has no org of its own: sign in as an admin of the org to manage it in the console." />;
  const scoped: OrgSession = { ...session, orgSlug: session.org };

  const visible = NAV.filter((n) => n.needs.some((p) => can(session.roles, p)));
  const current = visible.find((n) => n.page === route.page) ?? visible[0];
  const signOut = async () => {
    await postJson(paths.signOut()).catch(() => undefined);
    window.location.assign('/console/');
  };

  return (
    <SessionContext.Provider value={scoped}>
      <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Group>
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
              <Title order={1} size="h4">
                mls-identity
              </Title>
              <Badge variant="outline">{scoped.orgSlug}</Badge>
            </Group>
            <Group>
              <Text size="sm">{session.name ?? session.email ?? session.actor}</Text>
              {session.roles.map((r) => (
                <Badge key={r} variant="light">
                  {r}
                </Badge>
              ))}
              <Button variant="default" size="xs" onClick={() => void signOut()}>
                Sign out
              </Button>
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" aria-label="Console sections">
          {visible.map((n) => (
            <NavLink
              key={n.page}
              href={href(n.page)}
              label={n.label}
              active={current?.page === n.page}
              aria-current={current?.page === n.page ? 'page' : undefined}
            />
          ))}
        </AppShell.Navbar>
        <AppShell.Main>
          {current ? (
            <Page page={current.page} params={current.page === route.page ? route.params : []} />
          ) : (
            <Text>Your roles give no page of this console.</Text>
          )}
        </AppShell.Main>
      </AppShell>
    </SessionContext.Provider>
  );
}
