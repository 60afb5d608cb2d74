import { useState } from 'react';
import {
  Alert,
  Anchor,
  Code,
  Title,
  Badge,
  Button,
  Card,
  Group,
  List,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import type { Account, NetworkStatus } from '../api/types.js';
import { AsyncView, Empty, ErrorNote, errorText, useAsync } from '../components/async.js';
import { ROLE_NAMES, organizationName } from '../logic/codes.js';
import { StatusAlert } from '../components/status.js';
import { useSession } from '../session.js';

const STAFF_ROLES = ['clinician', 'privacy-officer', 'insurer', 'researcher', 'ethics', 'public-health', 'admin'];

function AddUser({ onAdded }: { readonly onAdded: () => void }): React.JSX.Element {
  const { api } = useSession();
  const [form, setForm] = useState({ username: '', displayName: '', role: 'clinician', password: '' });
  const [message, setMessage] = useState<{ readonly ok: boolean; readonly text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const send = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    api.post<Account>('/api/admin/users', form).then(
      (account) => {
        setBusy(false);
        setMessage({ ok: true, text: `${account.username} was added and enrolled at the organisation's CA.` });
        setForm({ username: '', displayName: '', role: 'clinician', password: '' });
        onAdded();
      },
      (failure: unknown) => {
        setBusy(false);
        setMessage({ ok: false, text: errorText(failure) });
      },
    );
  };
  return (
    <Card withBorder>
      <form onSubmit={send} aria-label="Add a person">
        <Stack gap="sm">
          <Text fw={600}>Add a person</Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Username"
              required
              value={form.username}
              onChange={(e) => {
                setForm({ ...form, username: e.currentTarget.value });
              }}
            />
            <TextInput
              label="Full name"
              required
              value={form.displayName}
              onChange={(e) => {
                setForm({ ...form, displayName: e.currentTarget.value });
              }}
            />
            <Select
              label="Role"
              data={STAFF_ROLES.map((role) => ({ value: role, label: ROLE_NAMES[role] ?? role }))}
              value={form.role}
              onChange={(v) => {
                setForm({ ...form, role: v ?? 'clinician' });
              }}
              allowDeselect={false}
            />
            <PasswordInput
              label="Initial password"
              required
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => {
                setForm({ ...form, password: e.currentTarget.value });
              }}
            />
          </SimpleGrid>
          <StatusAlert message={message} />
          <Group>
            <Button type="submit" loading={busy}>
              Add and enroll
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function ResetPassword({ account }: { readonly account: Account }): React.JSX.Element | null {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<{ readonly ok: boolean; readonly text: string } | undefined>(undefined);
  if (account.status !== 'active' || account.kind === 'system') return null;
  const save = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    api.post(`/api/admin/users/${encodeURIComponent(account.username)}/password`, { password }).then(
      () => {
        setPassword('');
        setOpen(false);
        setMessage({ ok: true, text: 'Password changed.' });
      },
      (failure: unknown) => {
        setMessage({ ok: false, text: errorText(failure) });
      },
    );
  };
  return (
    <Stack gap={4}>
      {open ? (
        <form onSubmit={save} aria-label={`New password for ${account.username}`}>
          <Group gap="xs" wrap="nowrap">
            <PasswordInput
              size="xs"
              aria-label={`New password for ${account.username}`}
              autoComplete="new-password"
              value={password}
              onChange={(e) => {
                setPassword(e.currentTarget.value);
              }}
            />
            <Button size="xs" type="submit">
              Save
            </Button>
          </Group>
        </form>
      ) : (
        <Button
          size="xs"
          variant="subtle"
          onClick={() => {
            setOpen(true);
          }}
          aria-label={`Reset password of ${account.username}`}
        >
          Reset password
        </Button>
      )}
      <StatusAlert message={message} />
    </Stack>
  );
}

function RevokeUser({
  account,
  onDone,
}: {
  readonly account: Account;
  readonly onDone: () => void;
}): React.JSX.Element {
  const { api, me } = useSession();
  const [error, setError] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  if (account.status !== 'active' || account.username === me.username) return <></>;
  const revoke = (): void => {
    api.post(`/api/admin/users/${encodeURIComponent(account.username)}/revoke`, {}).then(onDone, (failure: unknown) => {
      setError(errorText(failure));
    });
  };
  return (
    <Group gap="xs">
      {confirming ? (
        <>
          <Button size="xs" color="red" onClick={revoke} aria-label={`Confirm revoking ${account.username}`}>
            Confirm revoking
          </Button>
          <Button
            size="xs"
            variant="default"
            onClick={() => {
              setConfirming(false);
            }}
          >
            Cancel
          </Button>
        </>
      ) : (
        <Button
          size="xs"
          color="red"
          variant="subtle"
          onClick={() => {
            setConfirming(true);
          }}
          aria-label={`Revoke identity of ${account.username}`}
        >
          Revoke identity
        </Button>
      )}
      {error !== undefined && (
        <Text c="red" size="xs">
          {error}
        </Text>
      )}
    </Group>
  );
}

export function UsersPage(): React.JSX.Element {
  const { api, me } = useSession();
  const state = useAsync(() => api.get<Account[]>('/api/admin/users'), [api]);
  return (
    <Stack>
      <Text>People and systems of {organizationName(me.organization)}.</Text>
      <AsyncView
        state={state}
        label="Loading accounts…"
        render={(accounts) =>
          accounts.length === 0 ? (
            <Empty>No accounts.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={560}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Username</Table.Th>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Actions</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {accounts.map((account) => (
                    <Table.Tr key={account.username}>
                      <Table.Td>{account.username}</Table.Td>
                      <Table.Td>{account.displayName}</Table.Td>
                      <Table.Td>{ROLE_NAMES[account.role] ?? account.role}</Table.Td>
                      <Table.Td>
                        <Badge color={account.status === 'active' ? 'green' : 'gray'} variant="light">
                          {account.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Group gap="xs">
                          <ResetPassword account={account} />
                          <RevokeUser account={account} onDone={state.reload} />
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      />
      <AddUser onAdded={state.reload} />
    </Stack>
  );
}

interface IntegrityReport {
  readonly ok: boolean;
  readonly ledger: {
    readonly ok: boolean;
    readonly blocksChecked: number;
    readonly transactionsChecked: number;
    readonly problems: readonly string[];
  };
  readonly recordsChecked: number;
  readonly recordsErased: number;
  readonly problems: ReadonlyArray<{ readonly recordId: string; readonly status: string; readonly detail?: string }>;
}

function orgName(org: unknown): string {
  if (typeof org === 'string') return organizationName(org);
  const record = org as { mspId?: string; id?: string };
  return organizationName(record.mspId ?? record.id ?? JSON.stringify(org));
}

interface BlockSummary {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly previousHash: string;
  readonly transactions: ReadonlyArray<{
    readonly txId: string;
    readonly fcn: string;
    readonly validationCode: string;
  }>;
}

function shortHash(hash: string): string {
  return `${hash.slice(0, 10)}…${hash.slice(-6)}`;
}

function transactionsText(block: BlockSummary): string {
  return block.transactions
    .map((t) => (t.validationCode === 'VALID' ? t.fcn : `${t.fcn} (${t.validationCode})`))
    .join(', ');
}

/** The latest blocks; each links to the block its previous-hash names. */
export function LatestBlocks({ reloadKey }: { readonly reloadKey: number }): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(() => api.get<{ blocks: BlockSummary[] }>('/api/network/blocks?limit=10'), [api, reloadKey]);
  return (
    <AsyncView
      state={state}
      label="Loading the latest blocks…"
      render={({ blocks }) => (
        <Table.ScrollContainer minWidth={640}>
          <Table striped aria-label="Latest blocks">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Block</Table.Th>
                <Table.Th>Hash</Table.Th>
                <Table.Th>Previous hash</Table.Th>
                <Table.Th>Transactions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {blocks.map((block) => (
                <Table.Tr key={block.blockNumber} id={`block-${String(block.blockNumber)}`} data-testid="block-row">
                  <Table.Td>{block.blockNumber}</Table.Td>
                  <Table.Td>
                    <Code title={block.blockHash}>{shortHash(block.blockHash)}</Code>
                  </Table.Td>
                  <Table.Td>
                    {block.blockNumber === 0 ? (
                      '—'
                    ) : (
                      <Anchor href={`#block-${String(block.blockNumber - 1)}`} title={block.previousHash} size="sm">
                        <Code>{shortHash(block.previousHash)}</Code>
                      </Anchor>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{transactionsText(block)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    />
  );
}

export function NetworkPage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(() => api.get<NetworkStatus>('/api/network'), [api]);
  const [report, setReport] = useState<IntegrityReport | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [round, setRound] = useState(0);
  const verify = (): void => {
    setBusy(true);
    setError(undefined);
    api.post<IntegrityReport>('/api/network/verify', {}).then(
      (answer) => {
        setBusy(false);
        setReport(answer);
        state.reload();
        setRound((n) => n + 1);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorText(failure));
      },
    );
  };
  return (
    <Stack>
      <AsyncView
        state={state}
        label="Loading the network…"
        render={(network) => (
          <Card withBorder>
            <Text>
              Block height: <strong data-testid="block-height">{network.blockHeight}</strong>
            </Text>
            <Text mt="xs">Organisations:</Text>
            <List>
              {network.organizations.map((org) => (
                <List.Item key={orgName(org)}>{orgName(org)}</List.Item>
              ))}
            </List>
          </Card>
        )}
      />
      <Group>
        <Button onClick={verify} loading={busy}>
          Verify
        </Button>
        <Text size="sm" c="dimmed">
          Re-checks every block's hash chain and signatures and every record against its anchored hashes.
        </Text>
      </Group>
      {error !== undefined && <ErrorNote message={error} title="Verify failed" />}
      {report !== undefined && (
        <Alert
          color={report.ok ? 'green' : 'red'}
          title={report.ok ? 'Integrity verified' : 'Integrity problems found'}
          role="status"
          data-testid="verify-result"
        >
          <Text size="sm">
            {report.ledger.blocksChecked} blocks and {report.ledger.transactionsChecked} transactions checked;{' '}
            {report.recordsChecked} record versions checked ({report.recordsErased} erased).
          </Text>
          {[
            ...report.ledger.problems,
            ...report.problems.map((p) => `${p.recordId}: ${p.status} ${p.detail ?? ''}`),
          ].map((problem) => (
            <Text key={problem} size="sm">
              {problem}
            </Text>
          ))}
        </Alert>
      )}
      <Title order={3}>Latest blocks</Title>
      <LatestBlocks reloadKey={round} />
    </Stack>
  );
}
