import { Badge, Button, Code, CopyButton, Group, JsonInput, Modal, Paper, Stack, Switch, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { deleteJson, getJson, getText, patchJson, paths, postJson } from '../api.js';
import { can } from '../access.js';
import { ConfirmAction } from '../components/ConfirmAction.js';
import { ErrorNotice, Loading } from '../components/Status.js';
import { when } from '../format.js';
import { useSession } from '../session.js';
import { useLoad } from '../use-api.js';
import { TableHead } from '../components/TableHead.js';

interface IdpConnection {
  id: string;
  name: string;
  kind: string;
  issuer: string;
  clientId: string;
  requireMfa: boolean;
  matchByVerifiedEmail: boolean;
}
interface IssuedCredential {
  id: string;
  description?: string;
  name?: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A secret shown once, right after it was made; the service keeps only its hash. */
function ShownOnce({ secret, onClose }: { secret: Record<string, string> | null; onClose: () => void }) {
  return (
    <Modal opened={secret !== null} onClose={onClose} title="Copy it now: it is not shown again" centered size="lg">
      <Stack>
        {Object.entries(secret ?? {}).map(([k, v]) => (
          <Stack key={k} gap={4}>
            <Text fw={600}>{k}</Text>
            <Group wrap="nowrap">
              <Code block style={{ wordBreak: 'break-all' }}>
                {v}
              </Code>
              <CopyButton value={v}>{({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
            </Group>
          </Stack>
        ))}
        <Group justify="flex-end">
          <Button onClick={onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function IdpConnections({ org }: { org: string }) {
  const list = useLoad(() => getJson<{ idpConnections: IdpConnection[] }>(paths.idpConnections(org)), org);
  const [error, setError] = useState<Error | null>(null);
  const toggle = async (c: IdpConnection, field: 'requireMfa' | 'matchByVerifiedEmail', value: boolean) => {
    setError(null);
    try {
      await patchJson(paths.idpConnection(org, c.id), { [field]: value });
      list.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <Stack>
      {error ? <ErrorNotice error={error} /> : null}
      <Loading loaded={list} label="IdP connections">
        {(l) => (
          <Table>
            <TableHead columns={['Name', 'Kind', 'Issuer', 'MFA required', 'Match by verified email']} />
            <Table.Tbody>
              {l.idpConnections.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>{c.name}</Table.Td>
                  <Table.Td>{c.kind}</Table.Td>
                  <Table.Td>{c.issuer}</Table.Td>
                  <Table.Td>
                    <Switch
                      aria-label={`Require MFA on ${c.name}`}
                      checked={c.requireMfa}
                      onChange={(e) => void toggle(c, 'requireMfa', e.currentTarget.checked)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      aria-label={`Match accounts by verified email on ${c.name}`}
                      checked={c.matchByVerifiedEmail}
                      onChange={(e) => void toggle(c, 'matchByVerifiedEmail', e.currentTarget.checked)}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Loading>
    </Stack>
  );
}

function Credentials({ org, kind }: { org: string; kind: 'scim' | 'ds' }) {
  const listPath = kind === 'scim' ? paths.scimTokens(org) : paths.dsClients(org);
  const list = useLoad(async () => {
    const body = await getJson<{ scimTokens?: IssuedCredential[]; dsClients?: IssuedCredential[] }>(listPath);
    return body.scimTokens ?? body.dsClients ?? [];
  }, listPath);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      if (kind === 'scim') {
        const made = await postJson<{ token: string }>(listPath, { description: name });
        setSecret({ 'SCIM bearer token': made.token });
      } else {
        const made = await postJson<{ token: string; webhookSecret?: string }>(listPath, { name });
        setSecret({ 'DS bearer token': made.token, ...(made.webhookSecret ? { 'Webhook signing secret': made.webhookSecret } : {}) });
      }
      setName('');
      list.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <Stack>
      <ShownOnce secret={secret} onClose={() => setSecret(null)} />
      <form onSubmit={create}>
        <Group align="end">
          <TextInput required label={kind === 'scim' ? 'Description' : 'Client name'} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Button type="submit">{kind === 'scim' ? 'New SCIM token' : 'New delivery-service client'}</Button>
        </Group>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
      <Loading loaded={list} label="credentials">
        {(rows) => (
          <Table>
            <TableHead columns={['Name', 'Prefix', 'Created', 'Last used', 'State']} />
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>{r.name ?? r.description ?? '—'}</Table.Td>
                  <Table.Td>
                    <Code>{r.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>{when(r.createdAt)}</Table.Td>
                  <Table.Td>{when(r.lastUsedAt)}</Table.Td>
                  <Table.Td>
                    {r.revokedAt ? (
                      <Badge color="gray.9">revoked</Badge>
                    ) : (
                      <ConfirmAction
                        label="Revoke"
                        title="Revoke this credential?"
                        consequence="Every request made with it is refused from now on. This cannot be undone."
                        confirmLabel="Revoke"
                        onConfirm={async () => {
                          await deleteJson(kind === 'scim' ? paths.scimToken(org, r.id) : paths.dsClient(org, r.id));
                          list.reload();
                        }}
                      />
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Loading>
    </Stack>
  );
}

function Policies({ org }: { org: string }) {
  const current = useLoad(() => getJson<{ settings: unknown }>(paths.org(org)), `settings|${org}`);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      await patchJson(paths.settings(org), { settings: JSON.parse(draft ?? '{}') });
      setSaved(true);
      current.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <Loading loaded={current} label="settings">
      {(c) => (
        <Stack>
          <Text c="dimmed">Enrollment, certificate, removal and membership policy of the org. Only the fields you send change.</Text>
          <JsonInput
            label="Org settings"
            autosize
            minRows={12}
            formatOnBlur
            value={draft ?? JSON.stringify(c.settings, null, 2)}
            onChange={(v) => setDraft(v)}
            validationError="Not valid JSON"
          />
          {error ? <ErrorNotice error={error} /> : null}
          <Group>
            <Button onClick={() => void save()} disabled={draft === null}>
              Save
            </Button>
            {saved ? <Text c="teal.9">Saved.</Text> : null}
          </Group>
        </Stack>
      )}
    </Loading>
  );
}

function Keys({ org }: { org: string }) {
  const rotations = [
    {
      label: 'Rotate the org intermediate CA',
      path: paths.rotateCa(org),
      body: { level: 'intermediate' },
      consequence: 'A new intermediate signs certificates from now on. Existing certificates stay valid until they expire.',
    },
    {
      label: 'Rotate the external-sender key',
      path: paths.rotateExternalSender(org),
      body: {},
      consequence:
        'The new sender is published and every registered group receives a proposal that swaps it in; removals keep working during the move.',
    },
    {
      label: 'Rotate the log key',
      path: paths.rotateLogKey(org),
      body: {},
      consequence: 'Checkpoints carry both signatures during the overlap; verifiers pin the new key before the old one is retired.',
    },
  ];
  return (
    <Stack>
      {rotations.map((r) => (
        <Group key={r.label} justify="space-between">
          <Text>{r.label}</Text>
          <ConfirmAction
            label="Rotate"
            title={`${r.label}?`}
            consequence={r.consequence}
            confirmLabel="Rotate"
            onConfirm={async () => void (await postJson(r.path, r.body))}
          />
        </Group>
      ))}
    </Stack>
  );
}

function Profile({ org }: { org: string }) {
  const profile = useLoad(() => getText(paths.profile(org)), `profile|${org}`);
  return (
    <Loading loaded={profile} label="MLS profile">
      {(text) => (
        <Stack>
          <Text c="dimmed">
            What the org discloses at <Code>{paths.profile(org)}</Code>, signed with its log key (verify with <Code>mlsid profile verify</Code>).
          </Text>
          <Code block>{text}</Code>
        </Stack>
      )}
    </Loading>
  );
}

export function Settings() {
  const session = useSession();
  const org = session.orgSlug;
  const configures = can(session.roles, 'org:configure');
  const keys = can(session.roles, 'keys:manage');
  const policies = can(session.roles, 'policy:manage');
  const first = configures ? 'idps' : policies ? 'policies' : 'profile';
  return (
    <Stack>
      <Title order={2}>Settings</Title>
      <Paper withBorder p="md" radius="md">
        <Tabs defaultValue={first} keepMounted={false}>
          <Tabs.List>
            {configures ? <Tabs.Tab value="idps">Identity providers</Tabs.Tab> : null}
            {configures ? <Tabs.Tab value="scim">SCIM tokens</Tabs.Tab> : null}
            {configures ? <Tabs.Tab value="ds">Delivery services</Tabs.Tab> : null}
            {policies ? <Tabs.Tab value="policies">Policies</Tabs.Tab> : null}
            {keys ? <Tabs.Tab value="keys">Keys</Tabs.Tab> : null}
            <Tabs.Tab value="profile">MLS profile</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="idps" pt="md">
            <IdpConnections org={org} />
          </Tabs.Panel>
          <Tabs.Panel value="scim" pt="md">
            <Credentials org={org} kind="scim" />
          </Tabs.Panel>
          <Tabs.Panel value="ds" pt="md">
            <Credentials org={org} kind="ds" />
          </Tabs.Panel>
          <Tabs.Panel value="policies" pt="md">
            <Policies org={org} />
          </Tabs.Panel>
          <Tabs.Panel value="keys" pt="md">
            <Keys org={org} />
          </Tabs.Panel>
          <Tabs.Panel value="profile" pt="md">
            <Profile org={org} />
          </Tabs.Panel>
        </Tabs>
      </Paper>
    </Stack>
  );
}
