import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { ApiError } from '../api/client.js';
import type { ChartData, DpRelease, RiskModel, Study, StudyExport } from '../api/types.js';
import { ChartView } from '../components/chart-view.js';
import { AsyncView, Empty, ErrorNote, errorText, useAsync } from '../components/async.js';
import { StatusAlert } from '../components/status.js';
import type { StatusMessage } from '../components/status.js';
import { formatDateTime, organizationName } from '../logic/codes.js';
import { formatEpsilon, formatNumber, modelCharts } from '../logic/charts.js';
import { useSession } from '../session.js';

const CONDITIONS = ['diabetes', 'hypertension', 'asthma', 'depression', 'hiv'];
const PREDICTORS = ['age', 'bmi', 'glucose', 'hba1c', 'systolic', 'smoking'] as const;
const RESOURCE_TYPES = ['Observation', 'Condition', 'MedicationRequest', 'Procedure', 'Immunization'];

/** What the page says about a failed request; a spent budget gets its own words. */
interface Failure {
  readonly budget: boolean;
  readonly text: string;
}

function failureOf(error: unknown): Failure {
  if (error instanceof ApiError && error.status === 429) return { budget: true, text: error.message };
  return { budget: false, text: errorText(error) };
}

function FailureNote({ failure, study }: { readonly failure: Failure; readonly study: Study }): React.JSX.Element {
  if (!failure.budget) return <ErrorNote message={failure.text} title="Not done" />;
  return (
    <Alert color="orange" title="Privacy budget exhausted" role="alert">
      This request needs more epsilon than the study has left ({formatEpsilon(study.epsilonRemaining)} of{' '}
      {formatEpsilon(study.epsilonBudgetMicro / 1_000_000)}). Nothing was released and no budget was spent. Ask for a
      smaller epsilon, or propose a new study.
    </Alert>
  );
}

function StatusBadge({ status }: { readonly status: string }): React.JSX.Element {
  const color = status === 'approved' ? 'green' : status === 'rejected' ? 'red' : 'yellow';
  return <Badge color={color}>{status === 'proposed' ? 'awaiting ethics' : status}</Badge>;
}

function budgetText(study: Study): string {
  return `ε ${formatEpsilon(study.epsilonRemaining)} of ${formatEpsilon(study.epsilonBudgetMicro / 1_000_000)} left`;
}

function StudyTable({
  studies,
  action,
}: {
  readonly studies: readonly Study[];
  readonly action: (study: Study) => React.ReactNode;
}): React.JSX.Element {
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Study</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Privacy budget</Table.Th>
            <Table.Th scope="col">Data</Table.Th>
            <Table.Th scope="col">
              <VisuallyHidden>Action</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {studies.map((study) => (
            <Table.Tr key={study.id} data-testid="study-row">
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {study.id}
                </Text>
                <Text size="xs" c="dimmed">
                  {study.purpose} · {organizationName(study.proposer.mspId)} · {formatDateTime(study.createdAt)}
                </Text>
              </Table.Td>
              <Table.Td>
                <StatusBadge status={study.status} />
              </Table.Td>
              <Table.Td>{budgetText(study)}</Table.Td>
              <Table.Td>{study.resourceTypes.join(', ')}</Table.Td>
              <Table.Td>{action(study)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function ProposeForm({
  programme,
  onProposed,
}: {
  readonly programme: boolean;
  readonly onProposed: (study: Study) => void;
}): React.JSX.Element {
  const { api } = useSession();
  const [protocol, setProtocol] = useState('');
  const [budget, setBudget] = useState<number | string>(2);
  const [types, setTypes] = useState<string[]>(['Observation', 'Condition']);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<StatusMessage | undefined>(undefined);
  const submit = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    api
      .post<Study>('/api/studies', {
        protocol,
        epsilonBudget: Number(budget),
        resourceTypes: types,
        ...(programme ? { purpose: 'PUBHLTH' } : {}),
      })
      .then(
        (study) => {
          setBusy(false);
          setProtocol('');
          setStatus({ ok: true, text: `Proposed ${study.id}; it now waits for the ethics board.` });
          onProposed(study);
        },
        (failure: unknown) => {
          setBusy(false);
          setStatus({ ok: false, text: errorText(failure) });
        },
      );
  };
  const noun = programme ? 'surveillance programme' : 'study';
  return (
    <Card withBorder>
      <form onSubmit={submit} aria-labelledby="propose-heading">
        <Stack gap="sm">
          <Title order={3} size="h4" id="propose-heading">
            Propose a {noun}
          </Title>
          <Textarea
            label="Protocol"
            description="Only its SHA-256 hash goes on the ledger."
            required
            rows={3}
            value={protocol}
            onChange={(e) => {
              setProtocol(e.currentTarget.value);
            }}
          />
          <NumberInput
            label="Epsilon budget"
            description="The total differential-privacy budget of every release."
            required
            min={0.01}
            max={100}
            step={0.5}
            decimalScale={6}
            value={budget}
            onChange={setBudget}
          />
          <Checkbox.Group label="Resource types" value={types} onChange={setTypes}>
            <Group mt={4}>
              {RESOURCE_TYPES.map((type) => (
                <Checkbox key={type} value={type} label={type} />
              ))}
            </Group>
          </Checkbox.Group>
          <Group>
            <Button type="submit" loading={busy} disabled={protocol.trim() === '' || types.length === 0}>
              Propose {noun}
            </Button>
          </Group>
          <StatusAlert message={status} />
        </Stack>
      </form>
    </Card>
  );
}

function EpsilonInput({
  label,
  value,
  onChange,
}: {
  readonly label: string;
  readonly value: number | string;
  readonly onChange: (value: number | string) => void;
}): React.JSX.Element {
  return (
    <NumberInput
      label={label}
      min={0.000006}
      max={100}
      step={0.1}
      decimalScale={6}
      value={value}
      onChange={onChange}
      w={200}
    />
  );
}

function ChartsPanel({ study, onSpent }: { readonly study: Study; readonly onSpent: () => void }): React.JSX.Element {
  const { api } = useSession();
  const [epsilon, setEpsilon] = useState<number | string>(0.6);
  const [condition, setCondition] = useState<string | null>('diabetes');
  const [interval, setInterval] = useState<string | null>('quarter');
  const [busy, setBusy] = useState(false);
  const [charts, setCharts] = useState<readonly ChartData[] | undefined>(undefined);
  const [failure, setFailure] = useState<Failure | undefined>(undefined);
  const [cohort, setCohort] = useState<DpRelease<number> | undefined>(undefined);
  const run = (task: () => Promise<void>): void => {
    setBusy(true);
    setFailure(undefined);
    task().then(
      () => {
        setBusy(false);
        onSpent();
      },
      (error: unknown) => {
        setBusy(false);
        setFailure(failureOf(error));
        onSpent();
      },
    );
  };
  return (
    <Stack>
      <Title order={3} size="h4">
        Differentially private results
      </Title>
      <Text size="sm" c="dimmed">
        Every figure is a differentially private release over the consented cohort; its epsilon is spent on the ledger
        first. Charts split their epsilon over six releases.
      </Text>
      <Group align="end">
        <EpsilonInput label="Epsilon for this request" value={epsilon} onChange={setEpsilon} />
        <Select
          label="Condition"
          data={CONDITIONS}
          value={condition}
          onChange={setCondition}
          allowDeselect={false}
          w={160}
        />
        <Select
          label="Interval"
          data={['month', 'quarter', 'year']}
          value={interval}
          onChange={setInterval}
          allowDeselect={false}
          w={130}
        />
        <Button
          loading={busy}
          onClick={() => {
            run(() =>
              api
                .post<readonly ChartData[]>(`/api/studies/${study.id}/charts`, {
                  epsilon: Number(epsilon),
                  condition,
                  interval,
                })
                .then(setCharts),
            );
          }}
        >
          Draw charts
        </Button>
        <Button
          variant="default"
          loading={busy}
          onClick={() => {
            run(() =>
              api
                .post<DpRelease<number>>(`/api/studies/${study.id}/cohort-size`, { epsilon: Number(epsilon) })
                .then(setCohort),
            );
          }}
        >
          Cohort size
        </Button>
      </Group>
      {failure !== undefined && <FailureNote failure={failure} study={study} />}
      {cohort !== undefined && (
        <Text role="status" data-testid="cohort-size">
          Cohort size (DP, ε {formatEpsilon(cohort.epsilon)}, {cohort.mechanism}): about{' '}
          <strong>{formatNumber(Math.max(0, cohort.value), 0)}</strong> patients
        </Text>
      )}
      {charts !== undefined && (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          {charts.map((chart) => (
            <ChartView key={chart.title} chart={chart} />
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

function ModelPanel({ study }: { readonly study: Study }): React.JSX.Element {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [model, setModel] = useState<RiskModel | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [predictors, setPredictors] = useState<string[]>([...PREDICTORS]);
  const [ridge, setRidge] = useState<number | string>(1);
  const train = (): void => {
    setBusy(true);
    setError(undefined);
    const penalty = Number(ridge);
    api
      .post<RiskModel>(`/api/studies/${study.id}/models`, {
        seed: 'medledger',
        predictors,
        ...(ridge === '' || penalty === 0 ? {} : { ridge: penalty }),
      })
      .then(
        (value) => {
          setBusy(false);
          setModel(value);
        },
        (failure: unknown) => {
          setBusy(false);
          setError(errorText(failure));
        },
      );
  };
  return (
    <Stack>
      <Title order={3} size="h4">
        Type 2 diabetes risk model
      </Title>
      <Text size="sm" c="dimmed">
        Logistic regression trained on the de-identified cohort with a held-out test split; the rows never leave the
        server.
      </Text>
      <Group align="end">
        <MultiSelect
          label="Predictors"
          data={[...PREDICTORS]}
          value={predictors}
          onChange={setPredictors}
          w={{ base: '100%', sm: 420 }}
        />
        <NumberInput
          label="Ridge penalty"
          description="Stabilises small cohorts; 0 for none"
          min={0}
          max={100}
          step={0.5}
          value={ridge}
          onChange={setRidge}
          w={200}
        />
        <Button variant="light" loading={busy} onClick={train} disabled={predictors.length === 0}>
          Train model
        </Button>
      </Group>
      {error !== undefined && <ErrorNote message={error} title="The model was not trained" />}
      {model !== undefined && (
        <Stack data-testid="model-result">
          <Text role="status">
            Held-out AUC <strong>{formatNumber(model.auc, 3)}</strong> · trained on {model.train.n} (
            {model.train.events} events), tested on {model.test.n} ({model.test.events} events)
          </Text>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            {modelCharts(model).map((chart) => (
              <ChartView key={chart.kind} chart={chart} />
            ))}
          </SimpleGrid>
          <Table.ScrollContainer minWidth={420}>
            <Table striped fz="sm">
              <Table.Caption>Coefficients: odds ratio per unit shown, with its 95% confidence interval</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Predictor</Table.Th>
                  <Table.Th scope="col">Odds ratio</Table.Th>
                  <Table.Th scope="col">95% CI</Table.Th>
                  <Table.Th scope="col">p</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {model.model.coefficients.map((c) => (
                  <Table.Tr key={c.name}>
                    <Table.Th scope="row">{c.name}</Table.Th>
                    <Table.Td>{formatNumber(c.oddsRatio, 2)}</Table.Td>
                    <Table.Td>
                      {formatNumber(c.oddsRatioCi95[0], 2)}–{formatNumber(c.oddsRatioCi95[1], 2)}
                    </Table.Td>
                    <Table.Td>{c.pValue < 0.001 ? '< 0.001' : formatNumber(c.pValue, 3)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Stack>
      )}
    </Stack>
  );
}

function download(result: StudyExport, studyId: string): void {
  const url = URL.createObjectURL(new Blob([result.data], { type: result.contentType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `${studyId}-deidentified.${result.format}`;
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 1000);
}

function ExportPanel({ study }: { readonly study: Study }): React.JSX.Element {
  const { api } = useSession();
  const [format, setFormat] = useState<string | null>('csv');
  const [k, setK] = useState<number | string>(5);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<StudyExport | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = (): void => {
    setBusy(true);
    setError(undefined);
    api.post<StudyExport>(`/api/studies/${study.id}/export`, { format, k: Number(k) }).then(
      (value) => {
        setBusy(false);
        setResult(value);
        download(value, study.id);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorText(failure));
      },
    );
  };
  const anonymity = result?.report.kAnonymity;
  return (
    <Stack>
      <Title order={3} size="h4">
        De-identified export
      </Title>
      <Text size="sm" c="dimmed">
        HIPAA Safe Harbor with the study&apos;s own pseudonyms, then k-anonymity on birth year, gender and ZIP3.
      </Text>
      <Group align="end">
        <Select
          label="Format"
          data={[
            { value: 'csv', label: 'CSV (one row per patient)' },
            { value: 'ndjson', label: 'NDJSON (FHIR resources)' },
          ]}
          value={format}
          onChange={setFormat}
          allowDeselect={false}
          w={240}
        />
        <NumberInput label="k" min={5} max={100} value={k} onChange={setK} w={90} />
        <Button variant="light" loading={busy} onClick={run}>
          Download export
        </Button>
      </Group>
      {error !== undefined && <ErrorNote message={error} title="No export" />}
      {result !== undefined && anonymity !== undefined && (
        <Card withBorder data-testid="export-report">
          <Text fw={600}>k-anonymity report</Text>
          <Text size="sm">
            {result.report.method}. Patients: {result.report.patients.exported} exported of{' '}
            {result.report.patients.input} ({result.report.patients.suppressed} suppressed). Records:{' '}
            {result.report.records.exported} of {result.report.records.input}.
          </Text>
          <Text size="sm">
            k = {anonymity.k} on {anonymity.quasiIdentifiers.join(', ')}: {anonymity.equivalenceClasses} equivalence
            classes, {anonymity.suppressedClasses} suppressed; smallest class{' '}
            {anonymity.kAchieved === null ? 'none (every patient suppressed)' : anonymity.kAchieved}.
          </Text>
        </Card>
      )}
    </Stack>
  );
}

function StudyDetail({
  studyId,
  programme,
  onClose,
}: {
  readonly studyId: string;
  readonly programme: boolean;
  readonly onClose: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(() => api.get<Study>(`/api/studies/${studyId}`), [api, studyId]);
  return (
    <AsyncView
      state={state}
      label="Loading the study…"
      render={(study) => (
        <Card withBorder component="section" aria-labelledby="study-heading">
          <Stack>
            <Group justify="space-between">
              <Title order={3} id="study-heading">
                {programme ? 'Programme' : 'Study'} {study.id}
              </Title>
              <Button variant="subtle" onClick={onClose}>
                Back to the list
              </Button>
            </Group>
            <Group gap="sm">
              <StatusBadge status={study.status} />
              <Text size="sm" data-testid="budget">
                {budgetText(study)}
              </Text>
              <Text size="sm" c="dimmed">
                {study.resourceTypes.join(', ')} · purpose {study.purpose}
              </Text>
            </Group>
            {study.status !== 'approved' ? (
              <Alert color="blue">
                {study.status === 'proposed'
                  ? 'This study waits for the ethics board. Results are available once it is approved.'
                  : 'The ethics board rejected this study.'}
              </Alert>
            ) : (
              <>
                <ChartsPanel study={study} onSpent={state.reload} />
                {!programme && <ModelPanel study={study} />}
                {!programme && <ExportPanel study={study} />}
              </>
            )}
          </Stack>
        </Card>
      )}
    />
  );
}

/**
 * The researcher's studies (or, with `programme`, the health authority's PUBHLTH surveillance programmes): the list,
 * a proposal form and one study's DP results. The selected study is React state, never in the URL.
 */
export function StudiesPage({ programme = false }: { readonly programme?: boolean }): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(() => api.get<Study[]>('/api/studies'), [api]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  if (open !== undefined)
    return (
      <StudyDetail
        studyId={open}
        programme={programme}
        onClose={() => {
          setOpen(undefined);
          state.reload();
        }}
      />
    );
  return (
    <Stack>
      <AsyncView
        state={state}
        label="Loading studies…"
        render={(studies) =>
          studies.length === 0 ? (
            <Empty>{programme ? 'No surveillance programmes yet.' : 'No studies yet.'}</Empty>
          ) : (
            <StudyTable
              studies={studies}
              action={(study) => (
                <Button
                  size="xs"
                  variant="light"
                  aria-label={`Open ${study.id}`}
                  onClick={() => {
                    setOpen(study.id);
                  }}
                >
                  Open
                </Button>
              )}
            />
          )
        }
      />
      <ProposeForm programme={programme} onProposed={state.reload} />
    </Stack>
  );
}

function Decision({ study, onDone }: { readonly study: Study; readonly onDone: () => void }): React.JSX.Element {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const decide = (decision: 'approve' | 'reject'): void => {
    setBusy(true);
    api.post<Study>(`/api/studies/${study.id}/decision`, { decision }).then(
      () => {
        setBusy(false);
        onDone();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorText(failure));
      },
    );
  };
  return (
    <Stack gap={4}>
      <Group gap="xs" wrap="nowrap">
        <Button
          size="xs"
          color="green"
          loading={busy}
          aria-label={`Approve ${study.id}`}
          onClick={() => {
            decide('approve');
          }}
        >
          Approve
        </Button>
        <Button
          size="xs"
          color="red"
          variant="light"
          loading={busy}
          aria-label={`Reject ${study.id}`}
          onClick={() => {
            decide('reject');
          }}
        >
          Reject
        </Button>
      </Group>
      {error !== undefined && (
        <Text size="xs" c="red" role="alert">
          {error}
        </Text>
      )}
    </Stack>
  );
}

/** The ethics board: studies and programmes awaiting a decision, and those decided. */
export function EthicsPage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(() => api.get<Study[]>('/api/studies'), [api]);
  return (
    <AsyncView
      state={state}
      label="Loading studies…"
      render={(studies) => {
        const pending = studies.filter((s) => s.status === 'proposed');
        const decided = studies.filter((s) => s.status !== 'proposed');
        return (
          <Stack>
            <Title order={3} size="h4">
              Awaiting a decision
            </Title>
            {pending.length === 0 ? (
              <Empty>No studies wait for a decision.</Empty>
            ) : (
              <StudyTable studies={pending} action={(study) => <Decision study={study} onDone={state.reload} />} />
            )}
            <Title order={3} size="h4">
              Decided
            </Title>
            {decided.length === 0 ? (
              <Empty>None yet.</Empty>
            ) : (
              <StudyTable
                studies={decided}
                action={(study) => (
                  <Text size="xs" c="dimmed">
                    {study.decidedAt === undefined ? '' : formatDateTime(study.decidedAt)}
                  </Text>
                )}
              />
            )}
          </Stack>
        );
      }}
    />
  );
}
