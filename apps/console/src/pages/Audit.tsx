import { Alert, Anchor, Badge, Button, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { getJson, paths } from '../api.js';
import { Pager, useCursorPages } from '../components/Pager.js';
import { Loading } from '../components/Status.js';
import { when } from '../format.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { TableHead } from '../components/TableHead.js';

interface AuditEvent {
  id: string;
  createdAt: string;
  actor: string;
  action: string;
  target?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  sourceIp?: string | null;
}

interface Verification {
  ok: boolean;
  checked?: number;
  brokenAt?: number | string | null;
  problem?: string | null;
  reason?: string | null;
}

interface Filters {
  actor: string;
  action: string;
  target: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { actor: '', action: '', target: '', since: '', until: '' };

function query(f: Filters) {
  return {
    actor: f.actor || undefined,
    action: f.action || undefined,
    target: f.target || undefined,
    since: f.since ? new Date(f.since).toISOString() : undefined,
    until: f.until ? new Date(f.until).toISOString() : undefined,
  };
}

export function Audit() {
  const { orgSlug: org } = useSession();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const page = useLoad(
    () => getJson<{ auditEvents: AuditEvent[]; next: string | null }>(paths.auditEvents(org, { ...query(filters), cursor, limit: 50 })),
    `${org}|${JSON.stringify(filters)}|${cursor}`,
  );
  const chain = useLoad(() => getJson<Verification>(paths.auditVerify(org)), `verify|${org}`);
  const field = (name: keyof Filters, label: string, type = 'text') => (
    <TextInput label={label} type={type} value={draft[name]} onChange={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Audit log</Title>
        <Loading loaded={chain} label="chain verification">
          {(v) =>
            v.ok ? (
              <Badge color="teal.9" size="lg">
                hash chain verified{v.checked !== undefined ? ` (${v.checked} entries)` : ''}
              </Badge>
            ) : (
              <Alert color="red" title="The audit chain is broken">
                {v.problem ?? v.reason ?? 'verification failed'}
                {v.brokenAt !== undefined && v.brokenAt !== null ? ` at entry ${v.brokenAt}` : ''}
              </Alert>
            )
          }
        </Loading>
      </Group>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          pages.restart();
        }}
      >
        <Group align="end">
          {field('actor', 'Actor')}
          {field('action', 'Action')}
          {field('target', 'Target')}
          {field('since', 'From', 'datetime-local')}
          {field('until', 'To', 'datetime-local')}
          <Button type="submit">Filter</Button>
          <Anchor href={paths.auditExport(org, query(filters))} download={`audit-${org}.jsonl`}>
            Export (JSON lines)
          </Anchor>
        </Group>
      </form>
      <Loading loaded={page} label="audit events">
        {(p) =>
          p.auditEvents.length === 0 ? (
            <Text c="dimmed">No event matches.</Text>
          ) : (
            <Paper withBorder radius="md">
              <Table striped>
                <TableHead columns={['When', 'Actor', 'Action', 'Target', 'Source']} />
                <Table.Tbody>
                  {p.auditEvents.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>{when(e.createdAt)}</Table.Td>
                      <Table.Td>{e.actor}</Table.Td>
                      <Table.Td>{e.action}</Table.Td>
                      <Table.Td>{e.target ?? ([e.targetType, e.targetId].filter(Boolean).join(':') || '—')}</Table.Td>
                      <Table.Td>{e.sourceIp ?? '—'}</Table.Td>
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
