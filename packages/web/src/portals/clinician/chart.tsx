import { useEffect, useState } from 'react';
import { Accordion, Alert, Badge, Button, Group, Paper, Stack, Text, Timeline, Title } from '@mantine/core';
import type { Bundle, Patient, Resource } from '@medplum/fhirtypes';
import { ApiError, resourcesOf } from '../../api/client.js';
import type { ApiClient } from '../../api/client.js';
import { AsyncView, useAsync } from '../../components/async.js';
import { formatDate, listInWords, organizationName } from '../../logic/codes.js';
import { categoryKey, groupTimeline } from '../../logic/timeline.js';
import { useSession } from '../../session.js';
import { AddRecord } from './add-record.js';
import { BreakGlass } from './break-glass.js';
import { RequestAccess } from './request-access.js';

/** Record kinds a chart lists, so that what is hidden can be named. */
const CHART_TYPES: ReadonlyArray<{ readonly type: string; readonly label: string }> = [
  { type: 'Observation', label: 'vital signs and lab results' },
  { type: 'Condition', label: 'conditions' },
  { type: 'MedicationRequest', label: 'medications' },
  { type: 'AllergyIntolerance', label: 'allergies' },
  { type: 'Immunization', label: 'immunizations' },
  { type: 'DocumentReference', label: 'documents and notes' },
];

export const CLAIM_TYPES: ReadonlyArray<{ readonly type: string; readonly label: string }> = [
  { type: 'Coverage', label: 'coverage' },
  { type: 'Claim', label: 'claims' },
  { type: 'Encounter', label: 'visits' },
  { type: 'Procedure', label: 'procedures' },
];

export interface ChartData {
  readonly shared: boolean;
  readonly patient: Patient | undefined;
  readonly records: readonly Resource[];
}

/** What the caller may see of a patient: `$everything` (one audited access), or nothing shared (404). */
export async function loadChart(api: ApiClient, patientId: string, emergency: boolean): Promise<ChartData> {
  try {
    const bundle = await api.get<Bundle>(
      `/fhir/Patient/${encodeURIComponent(patientId)}/$everything?_count=200`,
      emergency ? { 'x-purpose-of-use': 'ETREAT' } : undefined,
    );
    const resources = resourcesOf(bundle);
    return {
      shared: true,
      patient: resources.find((r): r is Patient => r.resourceType === 'Patient'),
      records: resources.filter((r) => r.resourceType !== 'Patient'),
    };
  } catch (error: unknown) {
    if (error instanceof ApiError && error.status === 404) return { shared: false, patient: undefined, records: [] };
    throw error;
  }
}

export function patientName(patient: Patient | undefined): string {
  const name = patient?.name?.[0];
  if (name === undefined) return 'Patient';
  return name.text ?? `${(name.given ?? []).join(' ')} ${name.family ?? ''}`.trim();
}

function Records({ data, types }: { readonly data: ChartData; readonly types: typeof CHART_TYPES }): React.JSX.Element {
  const groups = groupTimeline(data.records);
  const present = new Set<string>(data.records.map((r) => r.resourceType));
  const hidden = types.filter(({ type }) => !present.has(type)).map(({ label }) => label);
  return (
    <Stack>
      {groups.length > 0 && (
        <Accordion
          key={groups.map((g) => g.category).join('|')}
          multiple
          defaultValue={groups.map((g) => categoryKey(g.category))}
          variant="separated"
        >
          {groups.map((group) => (
            <Accordion.Item key={group.category} value={categoryKey(group.category)}>
              <Accordion.Control>{group.category}</Accordion.Control>
              <Accordion.Panel>
                <Timeline bulletSize={14}>
                  {group.items.map((item) => (
                    <Timeline.Item key={item.key} title={item.title} data-testid="chart-record">
                      <Text size="sm">{item.detail}</Text>
                      <Text size="xs" c="dimmed">
                        {formatDate(item.date)}
                      </Text>
                    </Timeline.Item>
                  ))}
                </Timeline>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
      {hidden.length > 0 && (
        <Paper withBorder p="sm" bg="gray.0" data-testid="not-shared-types">
          <Text size="sm">
            <Badge color="gray" mr="xs">
              Not shared with you
            </Badge>
            {listInWords(hidden)} — either none are recorded or the patient has not shared them with you.
          </Text>
        </Paper>
      )}
    </Stack>
  );
}

function useCountdown(until: number | undefined): string | undefined {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until === undefined) return undefined;
    const timer = setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, [until]);
  if (until === undefined || until <= now) return undefined;
  const seconds = Math.floor((until - now) / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

export interface ChartProps {
  readonly patientId: string;
  readonly onBack: () => void;
  /** Emergency access ends at (ms), per patient, kept by the portal for the session. */
  readonly emergencyUntil: number | undefined;
  readonly onEmergency: (until: number) => void;
  /** An emergency read was refused: the grant has ended (the patient ended it, or it expired on the server's clock). */
  readonly onEmergencyEnded: () => void;
  readonly claims?: boolean;
}

export function Chart({
  patientId,
  onBack,
  emergencyUntil,
  onEmergency,
  onEmergencyEnded,
  claims = false,
}: ChartProps): React.JSX.Element {
  const { api, me } = useSession();
  const countdown = useCountdown(emergencyUntil);
  const emergency = countdown !== undefined;
  // Which emergency grant (by its end) a load was made under, so that a refusal is matched to the grant it ended.
  const grantEnd = emergency ? emergencyUntil : undefined;
  const state = useAsync(
    async () => ({ ...(await loadChart(api, patientId, grantEnd !== undefined)), grantEnd }),
    [api, patientId, grantEnd],
  );
  // Only a refusal of this grant's own emergency read, not a chart still shown from before it.
  const refused = grantEnd !== undefined && state.data?.grantEnd === grantEnd && !state.data.shared;
  const [refusedGrant, setRefusedGrant] = useState<number | undefined>(undefined);
  useEffect(() => {
    if (!refused) return;
    setRefusedGrant(grantEnd);
    onEmergencyEnded();
  }, [refused, grantEnd, onEmergencyEnded]);
  // The portal forgets a refused grant, and a new grant replaces it: the notice lasts until then.
  const endedEarly = refusedGrant !== undefined && emergencyUntil === undefined;
  return (
    <Stack>
      <Group justify="space-between">
        <Button variant="subtle" onClick={onBack}>
          ← All patients
        </Button>
        {emergency && (
          <Badge color="red" size="lg" role="timer" aria-live="off" data-testid="emergency-countdown">
            Emergency access: {countdown} left
          </Badge>
        )}
      </Group>
      {endedEarly && (
        <Alert color="orange" title="Emergency access has ended" data-testid="emergency-ended">
          The server refused the emergency read: the patient ended your emergency access, or it expired. What you saw
          under it is in the patient's access log and is reviewed by their hospital's privacy officer.
        </Alert>
      )}
      <AsyncView
        state={state}
        label="Loading the chart…"
        render={(data) => (
          <Stack>
            <Title order={3}>
              {data.shared ? patientName(data.patient) : 'Patient'}{' '}
              <Text span c="dimmed" size="sm">
                {patientId}
                {data.patient?.birthDate === undefined ? '' : ` · born ${formatDate(data.patient.birthDate)}`}
              </Text>
            </Title>
            {data.shared ? (
              <Records data={data} types={claims ? CLAIM_TYPES : CHART_TYPES} />
            ) : (
              <Alert color="gray" title="Not shared with you" data-testid="not-shared">
                Nothing in this patient's record is shared with you, or there is no such patient. Ask the patient for
                access{me.role === 'clinician' ? ', or use emergency access if their life or health is at risk' : ''}.
              </Alert>
            )}
            <Group align="flex-start" wrap="wrap">
              <RequestAccess patientId={patientId} />
              {me.role === 'clinician' && !emergency && (
                <BreakGlass
                  patientId={patientId}
                  onGranted={(until) => {
                    onEmergency(until);
                  }}
                />
              )}
            </Group>
            {me.role === 'clinician' && (
              <AddRecord
                patientId={patientId}
                onAdded={state.reload}
                organization={organizationName(me.organization)}
              />
            )}
          </Stack>
        )}
      />
    </Stack>
  );
}
