import { Anchor, Badge, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { getJson, paths } from '../api.js';
import { Pager, useCursorPages } from '../components/Pager.js';
import { Loading } from '../components/Status.js';
import { shortId, when } from '../format.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { TableHead } from '../components/TableHead.js';

interface GroupRow {
  groupId: string;
  epoch: number;
  members: number;
  lastReportAt: string | null;
  pendingRemovals: number;
  overdueRemovals: number;
  flagged: string | null;
  roomAdmins: string[];
  membershipPolicy: string;
  dsClient: string | null;
}

export function Groups() {
  const { orgSlug: org } = useSession();
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const page = useLoad(() => getJson<{ groups: GroupRow[]; next: string | null }>(paths.groups(org, { cursor, limit: 50 })), `${org}|${cursor}`);
  return (
    <Stack>
      <Title order={2}>Groups</Title>
      <Text c="dimmed">MLS groups whose delivery service reports them to this service, with what the service last verified of each.</Text>
      <Loading loaded={page} label="groups">
        {(p) =>
          p.groups.length === 0 ? (
            <Text c="dimmed">No group is registered yet.</Text>
          ) : (
            <Paper withBorder radius="md">
              <Table striped>
                <TableHead columns={['Group', 'Epoch', 'Members', 'Last report', 'Removals', 'Audit', 'Room admins', 'Membership']} />
                <Table.Tbody>
                  {p.groups.map((g) => (
                    <Table.Tr key={g.groupId}>
                      <Table.Td title={g.groupId}>
                        <Anchor href={href('groups', g.groupId)}>{shortId(g.groupId)}</Anchor>
                      </Table.Td>
                      <Table.Td>{g.epoch}</Table.Td>
                      <Table.Td>{g.members}</Table.Td>
                      <Table.Td>{when(g.lastReportAt)}</Table.Td>
                      <Table.Td>
                        {g.pendingRemovals} pending
                        {g.overdueRemovals > 0 ? (
                          <Badge color="red.9" ml="xs">
                            {g.overdueRemovals} overdue
                          </Badge>
                        ) : null}
                      </Table.Td>
                      <Table.Td>{g.flagged ? <Badge color="red.9">{g.flagged}</Badge> : <Badge color="teal.9">consistent</Badge>}</Table.Td>
                      <Table.Td>{g.roomAdmins.length}</Table.Td>
                      <Table.Td>{g.membershipPolicy}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </Loading>
      <Pager pages={pages} next={page.data?.next} />
    </Stack>
  );
}

interface RosterMember {
  leafIndex: number;
  accountId: string | null;
  deviceId: string | null;
  identity: string | null;
  pendingRemoval: boolean;
}

/** One group's roster as its last verified report showed it. */
export function GroupRoster({ groupId }: { groupId: string }) {
  const { orgSlug: org } = useSession();
  const roster = useLoad(() => getJson<{ epoch: number; members: RosterMember[] }>(paths.groupRoster(org, groupId)), `${org}|${groupId}`);
  return (
    <Stack>
      <Title order={2}>Group {shortId(groupId)}</Title>
      <Text c="dimmed" title={groupId}>
        {groupId}
      </Text>
      <Loading loaded={roster} label="roster">
        {(r) => (
          <Paper withBorder p="md" radius="md">
            <Title order={3} size="h4" mb="sm">
              Roster at epoch {r.epoch}
            </Title>
            <Table>
              <TableHead columns={['Leaf', 'Identity', 'Account', 'Removal']} />
              <Table.Tbody>
                {r.members.map((m) => (
                  <Table.Tr key={m.leafIndex}>
                    <Table.Td>{m.leafIndex}</Table.Td>
                    <Table.Td>{m.identity ?? '—'}</Table.Td>
                    <Table.Td>{m.accountId ? <Anchor href={href('people', m.accountId)}>{shortId(m.accountId)}</Anchor> : '—'}</Table.Td>
                    <Table.Td>{m.pendingRemoval ? <Badge color="red.9">pending</Badge> : '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Paper>
        )}
      </Loading>
    </Stack>
  );
}
