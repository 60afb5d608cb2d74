import { useState } from 'react';
import { Badge, Button, Card, Group, Radio, Stack, Table, Text, Textarea } from '@mantine/core';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { EmergencyGrant } from '../api/types.js';
import { AsyncView, Empty, ErrorNote, useAction, useAsync } from '../components/async.js';
import { loadDirectory } from '../components/directory.js';
import { formatDateTime, organizationName, referenceName } from '../logic/codes.js';
import { accessLogCsv, filterAccessLog, toAccessLogEntry } from '../logic/timeline.js';
import type { AccessLogFilter } from '../logic/timeline.js';
import { useSession } from '../session.js';
import { AccessLogFilters } from './patient/access-log.js';

function ReviewCard({
  grant,
  names,
  onDone,
}: {
  readonly grant: EmergencyGrant;
  readonly names: ReadonlyMap<string, string>;
  readonly onDone: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  const [outcome, setOutcome] = useState('justified');
  const [note, setNote] = useState('');
  const { busy, error, run } = useAction();
  const save = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    run(
      () =>
        api.post(`/api/emergency-reviews/${grant.id}`, {
          patient: `Patient/${grant.patientId}`,
          outcome,
          ...(note.trim() === '' ? {} : { note: note.trim() }),
        }),
      onDone,
    );
  };
  return (
    <Card withBorder data-testid="review-item">
      <form onSubmit={save} aria-label={`Review emergency access ${grant.id}`}>
        <Stack gap="xs">
          <Group gap="xs">
            <Badge color="red">Emergency access</Badge>
            <Text fw={600}>{referenceName(`Practitioner/${grant.clinician.uid}`, names)}</Text>
            <Text c="dimmed" size="sm">
              {organizationName(grant.clinician.mspId)}
            </Text>
          </Group>
          <Text size="sm">
            Patient {grant.patientId} · started {formatDateTime(grant.startedAt)} ·{' '}
            {grant.endedAt === undefined
              ? `ends ${formatDateTime(grant.expiresAt)}`
              : `ended early by the patient ${formatDateTime(grant.endedAt)}`}{' '}
            · {grant.reasonCode}
          </Text>
          <Text size="sm">
            <strong>Reason given:</strong> {grant.reason ?? '(not available)'}
          </Text>
          <Radio.Group label="Your finding" value={outcome} onChange={setOutcome}>
            <Group mt={4}>
              <Radio value="justified" label="Justified" />
              <Radio value="unjustified" label="Unjustified" />
            </Group>
          </Radio.Group>
          <Textarea
            label="Note"
            value={note}
            onChange={(e) => {
              setNote(e.currentTarget.value);
            }}
            autosize
            minRows={2}
          />
          {error !== undefined && <ErrorNote message={error} title="Not saved" />}
          <Group>
            <Button type="submit" loading={busy}>
              Record review
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

export function ReviewQueuePage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(async () => {
    const [directory, grants] = await Promise.all([
      loadDirectory(api),
      api.get<EmergencyGrant[]>('/api/emergency-reviews'),
    ]);
    return { names: directory.names, grants };
  }, [api]);
  return (
    <AsyncView
      state={state}
      label="Loading the review queue…"
      render={({ names, grants }) => (
        <Stack>
          {grants.length === 0 && <Empty>No emergency access is waiting for review.</Empty>}
          {grants.map((grant) => (
            <ReviewCard key={grant.id} grant={grant} names={names} onDone={state.reload} />
          ))}
        </Stack>
      )}
    />
  );
}

function downloadCsv(text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'audit-log.csv';
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 1000);
}

/** The organisation's audit log, with filters and CSV export. */
export function AuditLogPage(): React.JSX.Element {
  const { api } = useSession();
  const [filter, setFilter] = useState<AccessLogFilter>({});
  const state = useAsync(async () => {
    const { names } = await loadDirectory(api);
    const events = await api.search<AuditEvent>('/fhir/AuditEvent?_count=200');
    return events.map((event) => toAccessLogEntry(event, names));
  }, [api]);
  return (
    <>
      <AccessLogFilters filter={filter} onChange={setFilter} />
      <AsyncView
        state={state}
        label="Loading the audit log…"
        render={(entries) => {
          const shown = filterAccessLog(entries, filter);
          return (
            <Stack>
              <Group justify="space-between">
                <Text size="sm">
                  {shown.length} of {entries.length} events
                </Text>
                <Button
                  variant="light"
                  onClick={() => {
                    downloadCsv(accessLogCsv(shown));
                  }}
                  disabled={shown.length === 0}
                >
                  Export CSV
                </Button>
              </Group>
              {shown.length === 0 ? (
                <Empty>No events match.</Empty>
              ) : (
                <Table.ScrollContainer minWidth={720}>
                  <Table striped>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>When</Table.Th>
                        <Table.Th>Who</Table.Th>
                        <Table.Th>Event</Table.Th>
                        <Table.Th>Purpose</Table.Th>
                        <Table.Th>Outcome</Table.Th>
                        <Table.Th>Patient</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {shown.map((e) => (
                        <Table.Tr
                          key={e.id}
                          bg={e.emergency ? 'red.0' : undefined}
                          data-testid={e.emergency ? 'audit-emergency' : 'audit-row'}
                        >
                          <Table.Td>{formatDateTime(e.when)}</Table.Td>
                          <Table.Td>
                            {e.whoName}{' '}
                            <Text span c="dimmed" size="xs">
                              ({e.organization})
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            {e.what}{' '}
                            {e.emergency && (
                              <Badge color="red" size="xs">
                                emergency
                              </Badge>
                            )}
                          </Table.Td>
                          <Table.Td>{e.purpose}</Table.Td>
                          <Table.Td>{e.outcome}</Table.Td>
                          <Table.Td>{e.patient.replace('Patient/', '')}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </Stack>
          );
        }}
      />
    </>
  );
}
