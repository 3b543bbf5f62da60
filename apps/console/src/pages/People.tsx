import { Anchor, Badge, Button, Group, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { getJson, paths } from '../api.js';
import { Pager, useCursorPages } from '../components/Pager.js';
import { Loading } from '../components/Status.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { TableHead } from '../components/TableHead.js';

export interface AccountSummary {
  id: string;
  userName: string;
  displayName: string | null;
  email: string | null;
  status: string;
  deviceCount?: number;
}

export function statusColor(status: string): string {
  // shade 9: WCAG AA contrast in every badge variant
  return status === 'active' ? 'teal.9' : status === 'suspended' ? 'orange.9' : 'gray.8';
}

export function People() {
  const { orgSlug: org } = useSession();
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('all');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const page = useLoad(
    () =>
      getJson<{ accounts: AccountSummary[]; next: string | null }>(
        paths.accounts(org, { q: query, status: status === 'all' ? undefined : status, cursor, limit: 25 }),
      ),
    `${org}|${query}|${status}|${cursor}`,
  );
  const search = (e: React.FormEvent) => {
    e.preventDefault();
    setQuery(draft.trim());
    pages.restart();
  };
  return (
    <Stack>
      <Title order={2}>People</Title>
      <form onSubmit={search} role="search">
        <Group align="end">
          <TextInput label="Name, email or user name" value={draft} onChange={(e) => setDraft(e.currentTarget.value)} w={360} />
          <Button type="submit">Search</Button>
          <SegmentedControl
            aria-label="Account status"
            value={status}
            onChange={(v) => {
              setStatus(v);
              pages.restart();
            }}
            data={[
              { label: 'All', value: 'all' },
              { label: 'Active', value: 'active' },
              { label: 'Suspended', value: 'suspended' },
              { label: 'Inactive', value: 'inactive' },
            ]}
          />
        </Group>
      </form>
      <Loading loaded={page} label="people">
        {(p) =>
          p.accounts.length === 0 ? (
            <Text c="dimmed">Nobody matches.</Text>
          ) : (
            <>
              <Table striped highlightOnHover>
                <TableHead columns={['Name', 'User name', 'Email', 'Status']} />
                <Table.Tbody>
                  {p.accounts.map((a) => (
                    <Table.Tr key={a.id}>
                      <Table.Td>
                        <Anchor href={href('people', a.id)}>{a.displayName || a.userName}</Anchor>
                      </Table.Td>
                      <Table.Td>{a.userName}</Table.Td>
                      <Table.Td>{a.email ?? '—'}</Table.Td>
                      <Table.Td>
                        <Badge color={statusColor(a.status)}>{a.status}</Badge>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              <Pager pages={pages} next={p.next} />
            </>
          )
        }
      </Loading>
    </Stack>
  );
}
