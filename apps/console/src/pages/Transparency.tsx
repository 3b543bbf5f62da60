import { Alert, Badge, Button, Code, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { Loading } from '../components/Status.js';
import { shortId, when } from '../format.js';
import { verifiedCheckpoint, verifiedHistory } from '../log-verifier.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { TableHead } from '../components/TableHead.js';

function History({ org, accountId }: { org: string; accountId: string }) {
  const history = useLoad(() => verifiedHistory(org, accountId), `${org}|${accountId}`);
  return (
    <Loading loaded={history} label="account history">
      {(h) =>
        h.entries.length === 0 ? (
          <Text c="dimmed">The log holds no entry for this account.</Text>
        ) : (
          <Table>
            <TableHead columns={['Index', 'Event', 'Device', 'When', 'Inclusion']} />
            <Table.Tbody>
              {h.entries.map((e) => (
                <Table.Tr key={e.index}>
                  <Table.Td>{e.index}</Table.Td>
                  <Table.Td>
                    {e.type}
                    {e.reason ? ` (${e.reason})` : ''}
                  </Table.Td>
                  <Table.Td title={e.device ?? undefined}>{e.device ? shortId(e.device) : '—'}</Table.Td>
                  <Table.Td>{when(e.timestamp)}</Table.Td>
                  <Table.Td>
                    {e.verified ? (
                      <Badge color="teal.9" title={`proved included in the signed checkpoint of size ${h.size}, checked in this browser`}>
                        verified
                      </Badge>
                    ) : (
                      <Badge color="red.9" title={e.problem}>
                        not verified
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )
      }
    </Loading>
  );
}

export function Transparency({ accountId }: { accountId?: string }) {
  const { orgSlug: org } = useSession();
  const checkpoint = useLoad(() => verifiedCheckpoint(org), org);
  const [draft, setDraft] = useState(accountId ?? '');
  const [account, setAccount] = useState(accountId ?? '');
  return (
    <Stack>
      <Title order={2}>Key transparency</Title>
      <Paper withBorder p="md" radius="md">
        <Loading loaded={checkpoint} label="checkpoint">
          {(c) => (
            <Stack gap="xs">
              <Group>
                <Text fw={600}>{c.checkpoint.origin}</Text>
                <Badge color="teal.9">signature verified in this browser</Badge>
              </Group>
              <Text>
                {c.checkpoint.size} entries · root{' '}
                <Code>{Array.from(c.checkpoint.rootHash.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('')}…</Code>
              </Text>
              {c.consistency.status === 'consistent' ? (
                <Text c="teal.9">Consistent with the checkpoint of size {c.consistency.fromSize} this browser saw before.</Text>
              ) : c.consistency.status === 'first-seen' ? (
                <Text c="dimmed">First checkpoint this browser has seen for the org; later visits check consistency with it.</Text>
              ) : (
                <Alert color="red" title="The log is not consistent with what this browser saw before">
                  {c.consistency.detail}
                </Alert>
              )}
            </Stack>
          )}
        </Loading>
      </Paper>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setAccount(draft.trim());
        }}
      >
        <Group align="end">
          <TextInput label="Account id" value={draft} onChange={(e) => setDraft(e.currentTarget.value)} w={380} />
          <Button type="submit">Show history</Button>
        </Group>
      </form>
      {account ? (
        <Paper withBorder p="md" radius="md">
          <Title order={3} size="h4" mb="sm">
            History of {account}
          </Title>
          <History org={org} accountId={account} />
        </Paper>
      ) : null}
    </Stack>
  );
}
