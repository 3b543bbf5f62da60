import { BarChart, LineChart } from '@mantine/charts';
import { Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { getJson, paths } from '../api.js';
import { can } from '../access.js';
import { Loading } from '../components/Status.js';
import { StatCard } from '../components/StatCard.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { verifiedCheckpoint } from '../log-verifier.js';

interface DevicesByStatus {
  devices: Record<string, number>;
  accounts: Record<string, number>;
}
interface Removals {
  pending: number;
  overdue: number;
  latency: { day: string; p50Seconds: number | null; p95Seconds: number | null }[];
}
interface Series {
  days: { day: string; count: number }[];
}

function Chart({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} size="h5" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

export function Overview() {
  const session = useSession();
  const org = session.orgSlug;
  const statuses = useLoad(() => getJson<DevicesByStatus>(paths.report(org, 'devices-by-status')), `s:${org}`);
  const removals = useLoad(() => getJson<Removals>(paths.report(org, 'removals', { days: 30 })), `r:${org}`);
  const enrollments = useLoad(() => getJson<Series>(paths.report(org, 'enrollments', { days: 30 })), `e:${org}`);
  const expiry = useLoad(() => getJson<Series>(paths.report(org, 'certificate-expiry', { days: 30 })), `x:${org}`);
  const checkpoint = useLoad(() => verifiedCheckpoint(org), `c:${org}`);

  return (
    <Stack>
      <Title order={2}>Overview</Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        <Loading loaded={statuses} label="devices">
          {(s) => (
            <StatCard
              label="Enrolled devices"
              value={s.devices.active ?? 0}
              hint={`${s.devices.revoked ?? 0} revoked, ${s.devices.expired ?? 0} expired`}
            />
          )}
        </Loading>
        <Loading loaded={statuses} label="accounts">
          {(s) => <StatCard label="Active accounts" value={s.accounts.active ?? 0} hint={`${s.accounts.suspended ?? 0} suspended`} />}
        </Loading>
        <Loading loaded={removals} label="removals">
          {(r) => (
            <StatCard
              label="Removals pending"
              value={r.pending}
              tone={r.overdue > 0 ? 'bad' : 'ok'}
              hint={r.overdue > 0 ? `${r.overdue} overdue` : 'none overdue'}
            />
          )}
        </Loading>
        {can(session.roles, 'transparency:read') ? (
          <Loading loaded={checkpoint} label="log checkpoint">
            {(c) => (
              <StatCard label="Transparency log" value={`${c.checkpoint.size} entries`} hint={`signed checkpoint verified: ${c.checkpoint.origin}`} />
            )}
          </Loading>
        ) : null}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Chart title="Removal latency (seconds, last 30 days)">
          <Loading loaded={removals} label="removal latency">
            {(r) =>
              r.latency.length === 0 ? (
                <Text c="dimmed">No removal was committed in this period.</Text>
              ) : (
                <LineChart
                  h={220}
                  data={r.latency}
                  dataKey="day"
                  series={[
                    { name: 'p50Seconds', label: 'p50', color: 'blue.7' },
                    { name: 'p95Seconds', label: 'p95', color: 'orange.8' },
                  ]}
                  withLegend
                />
              )
            }
          </Loading>
        </Chart>
        <Chart title="Enrollments per day">
          <Loading loaded={enrollments} label="enrollments">
            {(e) => <BarChart h={220} data={e.days} dataKey="day" series={[{ name: 'count', label: 'enrollments', color: 'teal.8' }]} />}
          </Loading>
        </Chart>
        <Chart title="Certificates expiring per day (next 30 days)">
          <Loading loaded={expiry} label="certificate expiry">
            {(e) => <BarChart h={220} data={e.days} dataKey="day" series={[{ name: 'count', label: 'expiring', color: 'grape.8' }]} />}
          </Loading>
        </Chart>
      </SimpleGrid>
    </Stack>
  );
}
