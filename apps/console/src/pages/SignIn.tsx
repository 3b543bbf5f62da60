import { Alert, Button, Center, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { paths } from '../api.js';

const LAST_ORG = 'mlsid-console:org';

/** Not signed in: the admin names the org, and its IdP does the rest (the service starts the sign-in). */
export function SignIn({ problem }: { problem?: string }) {
  const params = new URLSearchParams(window.location.search);
  const [org, setOrg] = useState(params.get('org') ?? localStorage.getItem(LAST_ORG) ?? '');
  const error = problem ?? params.get('error') ?? undefined;
  const go = (e: React.FormEvent) => {
    e.preventDefault();
    const slug = org.trim();
    if (!slug) return;
    localStorage.setItem(LAST_ORG, slug);
    // the service brings the browser back to /console/; the page asked for comes back from here
    sessionStorage.setItem('mlsid-console:return', window.location.hash);
    window.location.assign(paths.signIn(slug));
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" radius="md" w={420}>
        <form onSubmit={go}>
          <Stack>
            <Title order={1} size="h2">
              mls-identity console
            </Title>
            <Text c="dimmed">Sign in with your organization&apos;s identity provider.</Text>
            {error ? (
              <Alert color="red" title="Sign-in did not complete" role="alert">
                {error}
              </Alert>
            ) : null}
            <TextInput
              label="Organization"
              description="The org's short name, e.g. acme"
              required
              value={org}
              onChange={(e) => setOrg(e.currentTarget.value)}
              autoFocus
            />
            <Button type="submit">Sign in</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
