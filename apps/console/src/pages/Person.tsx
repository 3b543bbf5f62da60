import { Anchor, Badge, Group, Paper, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { getJson, postJson, paths } from '../api.js';
import { can } from '../access.js';
import { ConfirmAction } from '../components/ConfirmAction.js';
import { Loading } from '../components/Status.js';
import { day, plural, when } from '../format.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { statusColor, type AccountSummary } from './People.js';

export interface DeviceSummary {
  id: string;
  name: string | null;
  platform: string | null;
  status: string;
  ciphersuite?: number | null;
  certificateNotAfter?: string | null;
  groups?: string[];
}

export interface AccountDetail {
  account: AccountSummary;
  devices: DeviceSummary[];
  pendingRemovals?: unknown[];
}

interface AuditEvent {
  id: string;
  createdAt: string;
  actor: string;
  action: string;
}

/** Groups a set of devices is in, counted once per group: what a removal fans out to. */
function groupsOf(devices: DeviceSummary[]): number {
  return new Set(devices.flatMap((d) => d.groups ?? [])).size;
}

export function Person({ accountId }: { accountId: string }) {
  const session = useSession();
  const org = session.orgSlug;
  const detail = useLoad(() => getJson<AccountDetail>(paths.account(org, accountId)), `${org}|${accountId}`);
  const audit = useLoad(
    () =>
      can(session.roles, 'audit:read')
        ? getJson<{ auditEvents: AuditEvent[] }>(paths.auditEvents(org, { target: `account:${accountId}`, limit: 10 }))
        : Promise.resolve({ auditEvents: [] }),
    `${org}|audit|${accountId}`,
  );
  return (
    <Loading loaded={detail} label="person">
      {({ account, devices, pendingRemovals }) => {
        const active = devices.filter((d) => d.status === 'active');
        return (
          <Stack>
            <Group justify="space-between">
              <div>
                <Title order={2}>{account.displayName || account.userName}</Title>
                <Text c="dimmed">
                  {account.userName}
                  {account.email ? ` · ${account.email}` : ''}
                </Text>
              </div>
              <Group>
                <Badge color={statusColor(account.status)} size="lg">
                  {account.status}
                </Badge>
                {can(session.roles, 'revocations:manage') && account.status === 'active' ? (
                  <ConfirmAction
                    label="Suspend"
                    title={`Suspend ${account.userName}?`}
                    consequence={`${plural(active.length, 'device')} revoked, Removes for ${plural(groupsOf(active), 'group')}. The person cannot enroll until resumed.`}
                    confirmLabel="Suspend"
                    onConfirm={async () => {
                      await postJson(paths.suspend(org, account.id));
                      detail.reload();
                    }}
                  />
                ) : null}
                {can(session.roles, 'revocations:manage') && account.status === 'suspended' ? (
                  <ConfirmAction
                    label="Resume"
                    color="teal"
                    title={`Resume ${account.userName}?`}
                    consequence="The account becomes active again. Revoked devices stay revoked; the person enrolls again."
                    confirmLabel="Resume"
                    onConfirm={async () => {
                      await postJson(paths.resume(org, account.id));
                      detail.reload();
                    }}
                  />
                ) : null}
              </Group>
            </Group>
            <Paper withBorder p="md" radius="md">
              <Title order={3} size="h4" mb="sm">
                Devices
              </Title>
              {devices.length === 0 ? (
                <Text c="dimmed">No devices.</Text>
              ) : (
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Device</Table.Th>
                      <Table.Th>Platform</Table.Th>
                      <Table.Th>Suite</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Certificate expires</Table.Th>
                      <Table.Th>Groups</Table.Th>
                      <Table.Th>
                        <VisuallyHidden>Actions</VisuallyHidden>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {devices.map((d) => (
                      <Table.Tr key={d.id}>
                        <Table.Td>{d.name || d.id}</Table.Td>
                        <Table.Td>{d.platform ?? '—'}</Table.Td>
                        <Table.Td>{d.ciphersuite ?? '—'}</Table.Td>
                        <Table.Td>
                          <Badge color={statusColor(d.status)}>{d.status}</Badge>
                        </Table.Td>
                        <Table.Td>{day(d.certificateNotAfter)}</Table.Td>
                        <Table.Td>{(d.groups ?? []).length}</Table.Td>
                        <Table.Td>
                          {can(session.roles, 'devices:support') && d.status === 'active' ? (
                            <ConfirmAction
                              label="Report lost"
                              title={`Report ${d.name || 'this device'} lost?`}
                              consequence={`1 device revoked, Removes for ${plural((d.groups ?? []).length, 'group')}. The device can read nothing sent after its removal.`}
                              confirmLabel="Report lost"
                              onConfirm={async () => {
                                await postJson(paths.reportLost(org, d.id));
                                detail.reload();
                              }}
                            />
                          ) : null}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Paper>
            <Text>
              Pending removals: {pendingRemovals?.length ?? 0} · <Anchor href={href('transparency', account.id)}>key-transparency history</Anchor>
            </Text>
            {can(session.roles, 'audit:read') ? (
              <Paper withBorder p="md" radius="md">
                <Title order={3} size="h4" mb="sm">
                  Recent audit events
                </Title>
                <Loading loaded={audit} label="audit events">
                  {(a) =>
                    a.auditEvents.length === 0 ? (
                      <Text c="dimmed">None.</Text>
                    ) : (
                      <Table>
                        <Table.Tbody>
                          {a.auditEvents.map((e) => (
                            <Table.Tr key={e.id}>
                              <Table.Td>{when(e.createdAt)}</Table.Td>
                              <Table.Td>{e.action}</Table.Td>
                              <Table.Td>{e.actor}</Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    )
                  }
                </Loading>
              </Paper>
            ) : null}
          </Stack>
        );
      }}
    </Loading>
  );
}
