import { useCallback, useState } from 'react';
import { Badge, Button, Group, Paper, Stack, Table, TextInput, VisuallyHidden } from '@mantine/core';
import type { Patient } from '@medplum/fhirtypes';
import type { AccessRequest, SharedPatient } from '../../api/types.js';
import { AsyncView, Empty, useAsync } from '../../components/async.js';
import { formatDate } from '../../logic/codes.js';
import { useSession } from '../../session.js';
import { Chart, patientName } from './chart.js';

interface KnownPatient {
  readonly id: string;
  readonly name: string | undefined;
  readonly birthDate: string | undefined;
  readonly why: string;
}

/** How many of the organisation's patients one name search lists: each one listed is an audited access. */
const SEARCH_LIMIT = 50;

/**
 * Patients who approved one of the staff member's access requests or whose active consent names a clinician (or their
 * organisation) for treatment — the contract decides both, by Medledger ID only — plus, only when searched for by
 * name, their own organisation's patients. Listing a patient by name reads their demographics, an audited access that
 * shows in the patient's log, so nobody's name is listed just because a page was opened. Any other patient is opened
 * only by the Medledger ID the patient gives, and shows only what is shared.
 */
async function loadKnownPatients(
  api: ReturnType<typeof useSession>['api'],
  ownOrg: boolean,
  name: string,
): Promise<KnownPatient[]> {
  const search = `/fhir/Patient?name=${encodeURIComponent(name)}&_count=${String(SEARCH_LIMIT)}`;
  const [own, requests, shared] = await Promise.all([
    ownOrg && name !== '' ? api.search<Patient>(search) : Promise.resolve([]),
    api.get<AccessRequest[]>('/api/access-requests'),
    ownOrg ? api.get<SharedPatient[]>('/api/shared-patients') : Promise.resolve([]),
  ]);
  const known: KnownPatient[] = own.map((p) => ({
    id: p.id ?? '',
    name: patientName(p),
    birthDate: p.birthDate,
    why: 'our patient',
  }));
  for (const request of requests) {
    if (request.status !== 'approved' || known.some((k) => k.id === request.patientId)) continue;
    known.push({ id: request.patientId, name: undefined, birthDate: undefined, why: 'approved your request' });
  }
  for (const entry of shared) {
    if (known.some((k) => k.id === entry.patientId)) continue;
    known.push({ id: entry.patientId, name: undefined, birthDate: undefined, why: 'shared with you' });
  }
  return known;
}

export function PatientsPage({ claims = false }: { readonly claims?: boolean }): React.JSX.Element {
  const { api, me } = useSession();
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [byId, setById] = useState('');
  const [name, setName] = useState('');
  const [searched, setSearched] = useState('');
  const [emergencies, setEmergencies] = useState<ReadonlyMap<string, number>>(new Map());
  const ownOrg = me.role === 'clinician';
  const state = useAsync(() => loadKnownPatients(api, ownOrg, searched), [api, ownOrg, searched]);
  const endEmergency = useCallback(() => {
    if (selected === undefined) return;
    setEmergencies((current) => {
      const next = new Map(current);
      next.delete(selected);
      return next;
    });
  }, [selected]);

  if (selected !== undefined)
    return (
      <Chart
        key={selected}
        patientId={selected}
        claims={claims}
        onBack={() => {
          setSelected(undefined);
        }}
        emergencyUntil={emergencies.get(selected)}
        onEmergency={(until) => {
          setEmergencies(new Map(emergencies).set(selected, until));
        }}
        onEmergencyEnded={endEmergency}
      />
    );
  return (
    <Stack>
      <Paper withBorder p="md">
        <form
          aria-label="Open a chart by Medledger ID"
          onSubmit={(event) => {
            event.preventDefault();
            if (byId.trim() !== '') setSelected(byId.trim().replace(/^Patient\//, ''));
          }}
        >
          <Group align="flex-end">
            <TextInput
              label="Medledger ID"
              description="The patient gives you this ID from their portal"
              placeholder="pt-…"
              value={byId}
              onChange={(e) => {
                setById(e.currentTarget.value);
              }}
              style={{ flex: 1 }}
            />
            <Button type="submit">Open chart</Button>
          </Group>
        </form>
      </Paper>
      {ownOrg && (
        <form
          aria-label="Find our organisation's patients"
          onSubmit={(event) => {
            event.preventDefault();
            setSearched(name.trim());
          }}
        >
          <Group align="flex-end">
            <TextInput
              label="Find our patients by name"
              description="Each patient listed is a logged access to their record"
              placeholder="Family or given name"
              value={name}
              onChange={(e) => {
                setName(e.currentTarget.value);
              }}
              maw={320}
            />
            <Button type="submit" variant="light">
              Search
            </Button>
          </Group>
        </form>
      )}
      <AsyncView
        state={state}
        label="Loading patients…"
        render={(patients) => {
          const shown = patients;
          if (shown.length === 0)
            return <Empty>{searched === '' ? 'Search by name to list your patients.' : 'No patients to show.'}</Empty>;
          return (
            <Table.ScrollContainer minWidth={480}>
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Patient</Table.Th>
                    <Table.Th>Born</Table.Th>
                    <Table.Th>Why listed</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Open</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {shown.map((p) => (
                    <Table.Tr key={p.id}>
                      <Table.Td>{p.name ?? p.id}</Table.Td>
                      <Table.Td>{p.birthDate === undefined ? '—' : formatDate(p.birthDate)}</Table.Td>
                      <Table.Td>
                        <Badge variant="light">{p.why}</Badge>
                      </Table.Td>
                      <Table.Td>
                        <Button
                          size="xs"
                          onClick={() => {
                            setSelected(p.id);
                          }}
                          aria-label={`Open chart of ${p.name ?? p.id}`}
                        >
                          Open chart
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          );
        }}
      />
    </Stack>
  );
}

export function MyRequestsPage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(() => api.get<AccessRequest[]>('/api/access-requests'), [api]);
  return (
    <AsyncView
      state={state}
      label="Loading your requests…"
      render={(requests) =>
        requests.length === 0 ? (
          <Empty>You have not asked any patient for access.</Empty>
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Patient</Table.Th>
                  <Table.Th>Asked</Table.Th>
                  <Table.Th>Status</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {requests.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>{r.patientId}</Table.Td>
                    <Table.Td>{formatDate(r.createdAt)}</Table.Td>
                    <Table.Td>
                      <Badge variant="light">{r.status}</Badge>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )
      }
    />
  );
}
