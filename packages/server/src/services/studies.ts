import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkRelease,
  DEFAULT_DELTA,
  deidentify,
  deriveStudyKey,
  extractFeatures,
  generalizeZip,
  pseudonym,
  releaseCount,
  releaseHistogram,
  releaseMean,
  releaseSum,
  trainRiskModel,
} from '@medledger/analytics';
import type {
  BarChart,
  BudgetReceipt,
  BudgetSpend,
  Chart,
  DeidentificationReport,
  DeidentifiedExport,
  DpRelease,
  FhirResource as AnalyticsResource,
  LineChart,
  Mechanism,
  PatientFeatures,
  PrivacyAccountant,
  RiskModelResult,
  SumBounds,
} from '@medledger/analytics';
import {
  DomainError,
  ORGANIZATIONS,
  PATTERNS,
  studyDeltaBudgetPico,
  studyOwnerRole,
  toPicoDelta,
} from '@medledger/core';
import type { PermittedRecord, StudyRecord } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import type { Medledger } from '../medledger.js';
import { loadStorageKey } from '../secrets.js';
import type { Caller } from './caller.js';
import { Custodian } from './custodian.js';
import type { AuthorizationProof } from './custodian.js';
import { LedgerGateway } from './ledger-gateway.js';

type Body = Record<string, unknown>;

/** AuthorizeCohort's largest patient list (core's limit). */
const COHORT_CHUNK = 500;
/** The smallest k-anonymity an export may ask for: the default, so a data recipient can only ask for more protection. */
const MIN_EXPORT_K = 5;

/** Numeric variables a DP sum, mean or histogram may use, with default clamping bounds. */
export const STUDY_VARIABLES: Readonly<Record<string, SumBounds>> = {
  age: { lower: 0, upper: 100, granularity: 1 },
  bmi: { lower: 10, upper: 60, granularity: 0.1 },
  systolic: { lower: 70, upper: 220, granularity: 1 },
  diastolic: { lower: 40, upper: 140, granularity: 1 },
  glucose: { lower: 40, upper: 400, granularity: 1 },
  hba1c: { lower: 3, upper: 15, granularity: 0.1 },
  cholesterol: { lower: 80, upper: 400, granularity: 1 },
};
type Variable = 'age' | 'bmi' | 'systolic' | 'diastolic' | 'glucose' | 'hba1c' | 'cholesterol';

/** The condition flags of `extractFeatures` (and their SNOMED codes for prevalence by month). */
export const STUDY_CONDITIONS: Readonly<Record<string, string>> = {
  hypertension: '59621000',
  diabetes: '44054006',
  asthma: '195967001',
  depression: '370143000',
  hiv: '86406008',
};
type ConditionName = 'hypertension' | 'diabetes' | 'asthma' | 'depression' | 'hiv';

/** Public, data-independent histogram categories (bins must never come from the data). */
const CATEGORIES = {
  gender: ['female', 'male', 'other', 'unknown'],
  smoking: ['never', 'former', 'current', 'unknown'],
  ageBand: ['0-17', '18-34', '35-49', '50-64', '65-79', '80+', 'unknown'],
} as const;
type Category = keyof typeof CATEGORIES;

/** Massachusetts ZIP3 areas (public); every other region counts as "other". */
export const DEFAULT_REGIONS: readonly string[] = [
  '010',
  '011',
  '012',
  '013',
  '014',
  '015',
  '016',
  '017',
  '018',
  '019',
  '020',
  '021',
  '022',
  '023',
  '024',
  '025',
  '026',
  '027',
];

/** What a DP request asks for; the server computes the value over the consented cohort. */
export interface AggregateQuery {
  readonly kind: 'count' | 'histogram' | 'sum' | 'mean';
  readonly epsilon: number;
  readonly mechanism?: Mechanism;
  readonly delta?: number;
  readonly variable?: Variable;
  readonly condition?: ConditionName;
  readonly bounds?: SumBounds;
  /** Histogram over a public category… */
  readonly groupBy?: Category;
  /** …or over bins of `variable` with these ascending edges. */
  readonly edges?: readonly number[];
}

export interface StudyView extends StudyRecord {
  readonly epsilonRemaining: number;
  readonly deltaRemaining: number;
}

export interface ExportResult {
  readonly studyId: string;
  readonly format: 'ndjson' | 'csv';
  readonly report: DeidentificationReport;
  readonly contentType: string;
  readonly data: string;
}

export interface StoredModel extends RiskModelResult {
  readonly id: string;
  readonly studyId: string;
  readonly createdAt: string;
  readonly seed: string;
}

interface Cohort {
  readonly patientIds: readonly string[];
  readonly resources: FhirResource[];
}

function deltaRemainingPico(study: StudyRecord): number {
  return studyDeltaBudgetPico(study) - (study.deltaSpentPico ?? 0);
}

function view(study: StudyRecord): StudyView {
  return {
    ...study,
    epsilonRemaining: (study.epsilonBudgetMicro - study.epsilonSpentMicro) / 1_000_000,
    deltaRemaining: deltaRemainingPico(study) / 1e12,
  };
}

function invalid(message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', message);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${what} must be one of ${allowed.join(', ')}`);
}

function numberOf(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${what} must be a number`);
  return value;
}

function optionalOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T | undefined {
  return value === undefined ? undefined : oneOf(value, allowed, what);
}

function boundsOf(raw: unknown, variable: Variable | undefined): SumBounds | undefined {
  if (raw === undefined) return variable === undefined ? undefined : STUDY_VARIABLES[variable];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('bounds must be an object');
  const bounds = raw as Body;
  return {
    lower: numberOf(bounds.lower, 'bounds.lower'),
    upper: numberOf(bounds.upper, 'bounds.upper'),
    granularity: numberOf(bounds.granularity ?? 1, 'bounds.granularity'),
  };
}

function edgesOf(raw: unknown): number[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length < 2 || raw.length > 101) throw invalid('edges must be 2 to 101 numbers');
  const edges = raw.map((e) => numberOf(e, 'edges[]'));
  if (edges.some((e, i) => i > 0 && e <= (edges[i - 1] ?? e))) throw invalid('edges must be ascending');
  return edges;
}

interface ExportProtection {
  readonly k: number;
  readonly birthYearBand?: 1 | 5 | 10;
}

/** k from 5 to 100 (a data recipient may only ask for more protection) and an optional birth-year band. */
function exportProtection(body: Body): ExportProtection {
  const k = body.k === undefined ? MIN_EXPORT_K : numberOf(body.k, 'k');
  if (!Number.isInteger(k) || k < MIN_EXPORT_K || k > 100) {
    throw invalid(`k must be an integer from ${String(MIN_EXPORT_K)} to 100`);
  }
  if (body.birthYearBand === undefined) return { k };
  const birthYearBand = ([1, 5, 10] as const).find((band) => band === body.birthYearBand);
  if (birthYearBand === undefined) throw invalid('birthYearBand must be 1, 5 or 10');
  return { k, birthYearBand };
}

/** Drops undefined members (exactOptionalPropertyTypes). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Parses an aggregate request body; unknown variables, conditions and categories are refused. */
export function parseAggregateQuery(body: Body): AggregateQuery {
  const kind = oneOf(body.kind, ['count', 'histogram', 'sum', 'mean'] as const, 'kind');
  const variable = optionalOneOf(body.variable, Object.keys(STUDY_VARIABLES) as Variable[], 'variable');
  const groupBy = optionalOneOf(body.groupBy, Object.keys(CATEGORIES) as Category[], 'groupBy');
  const edges = edgesOf(body.edges);
  if ((kind === 'sum' || kind === 'mean') && variable === undefined) throw invalid(`a ${kind} needs a variable`);
  if (kind === 'histogram' && groupBy === undefined && (variable === undefined || edges === undefined)) {
    throw invalid('a histogram needs groupBy, or a variable with edges');
  }
  const query = defined({
    kind,
    epsilon: numberOf(body.epsilon, 'epsilon'),
    mechanism: optionalOneOf(body.mechanism, ['laplace', 'gaussian'] as const, 'mechanism'),
    delta: body.delta === undefined ? undefined : numberOf(body.delta, 'delta'),
    variable,
    condition: optionalOneOf(body.condition, Object.keys(STUDY_CONDITIONS) as ConditionName[], 'condition'),
    bounds: boundsOf(body.bounds, variable),
    groupBy,
    edges,
  });
  // Everything the release will check, checked now: a refused request must not draw a cohort or write audit events.
  checkRelease(query, { ...(query.bounds === undefined ? {} : { bounds: query.bounds }), mean: kind === 'mean' });
  return query;
}

function ageBand(age: number | undefined): string {
  if (age === undefined) return 'unknown';
  if (age < 18) return '0-17';
  if (age < 35) return '18-34';
  if (age < 50) return '35-49';
  if (age < 65) return '50-64';
  if (age < 80) return '65-79';
  return '80+';
}

function categoryOf(row: PatientFeatures, groupBy: Category): string {
  switch (groupBy) {
    case 'gender':
      return row.gender === 'female' || row.gender === 'male' || row.gender === 'other' ? row.gender : 'unknown';
    case 'smoking':
      return row.smoking ?? 'unknown';
    case 'ageBand':
      return ageBand(row.age);
  }
}

function binLabel(edges: readonly number[], i: number): string {
  return `${String(edges[i])}-${String(edges[i + 1])}`;
}

/** Counts per public bin; values outside the edges are clamped into the first or last bin. */
function histogramCounts(rows: readonly PatientFeatures[], query: AggregateQuery): Record<string, number> {
  if (query.groupBy !== undefined) {
    const counts: Record<string, number> = Object.fromEntries(CATEGORIES[query.groupBy].map((c) => [c, 0]));
    for (const row of rows) {
      const key = categoryOf(row, query.groupBy);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
  const edges = query.edges ?? [];
  const counts: Record<string, number> = Object.fromEntries(edges.slice(1).map((_, i) => [binLabel(edges, i), 0]));
  for (const row of rows) {
    const value = query.variable === undefined ? undefined : row[query.variable];
    if (value === undefined) continue;
    let i = edges.findIndex((edge, j) => j > 0 && value < edge) - 1;
    if (i < 0) i = value < (edges[0] ?? 0) ? 0 : edges.length - 2;
    const key = binLabel(edges, i);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_COLUMNS = [
  'patient',
  'gender',
  'age',
  'bmi',
  'systolic',
  'diastolic',
  'glucose',
  'hba1c',
  'cholesterol',
  'smoking',
  ...Object.keys(STUDY_CONDITIONS),
] as const;

function toCsv(rows: readonly PatientFeatures[]): string {
  const lines = rows.map((row) =>
    CSV_COLUMNS.map((column) => {
      if (column in STUDY_CONDITIONS) return row.conditions[column as ConditionName] ? '1' : '0';
      if (column === 'patient') return csvCell(row.patient.replace(/^Patient\//, ''));
      return csvCell(row[column as Exclude<keyof PatientFeatures, 'conditions' | 'patient'>]);
    }).join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}

/** A PrivacyAccountant whose spends are SpendPrivacyBudget transactions submitted as the caller. */
export class LedgerPrivacyAccountant implements PrivacyAccountant {
  constructor(
    private readonly gateway: LedgerGateway,
    private readonly username: string,
    private readonly studyId: string,
  ) {}

  async spend(request: BudgetSpend): Promise<BudgetReceipt> {
    const submitted = await this.gateway.submit<BudgetReceipt>(this.username, 'SpendPrivacyBudget', {
      studyId: this.studyId,
      epsilon: request.epsilon,
      ...(request.delta === undefined ? {} : { delta: request.delta }),
      queryHash: request.queryHash,
    });
    return submitted.value;
  }
}

/**
 * Research studies and public-health surveillance programmes (issue 7). The contract decides everything: who may
 * propose, decide and read a study (ProposeStudy, DecideStudy, GetStudy), which patients are in a cohort
 * (AuthorizeCohort, committed, one audit event per patient: "used in study X"), and whether a differentially private
 * release may spend its epsilon (SpendPrivacyBudget, committed before any noise is drawn). Records are released by
 * their custodians only against the committed AuthorizeCohort. Research studies get DP aggregates, de-identified
 * exports (Safe Harbor + k-anonymity) and models; public-health programmes (purpose PUBHLTH) get DP aggregates only.
 */
export class StudyService {
  private readonly gateway: LedgerGateway;
  private readonly custodians: ReadonlyMap<string, Custodian>;
  private readonly secret: Buffer;
  private readonly dir: string;
  private loadedModels: Map<string, StoredModel> | undefined;

  constructor(private readonly medledger: Medledger) {
    this.gateway = new LedgerGateway(medledger.network);
    this.custodians = new Map(
      ORGANIZATIONS.map((mspId) => [
        mspId,
        new Custodian(mspId, medledger.network.asLedger(), medledger.network.vault(mspId), medledger.clock),
      ]),
    );
    const storageKey = loadStorageKey(medledger.config.dataDir, medledger.config.storageKey);
    // The pseudonym secret stays with the custodian deployment; each study derives its own key from it.
    this.secret = createHash('sha256').update(storageKey).update('medledger study pseudonyms v1').digest();
    this.dir = join(medledger.config.dataDir, 'analytics');
  }

  /**
   * The study pseudonym of a reference (`Patient/id`): the custodian's re-identification code (Safe Harbor
   * §164.514(c)). Never sent to a recipient; for the custodian's own use (and tests).
   */
  pseudonymFor(studyId: string, reference: string): string {
    return pseudonym(deriveStudyKey(this.secret, studyId), reference);
  }

  /** Trained models, read from `<data>/analytics/models` on first use (they survive a restart). */
  private get models(): Map<string, StoredModel> {
    if (this.loadedModels === undefined) {
      const dir = join(this.dir, 'models');
      const files = existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => /^m-[0-9a-f]{24}\.json$/.test(f))
            .sort()
        : [];
      this.loadedModels = new Map();
      for (const file of files) {
        try {
          const model = JSON.parse(readFileSync(join(dir, file), 'utf8')) as StoredModel;
          this.loadedModels.set(model.id, model);
        } catch (error) {
          // One unreadable file must not take every model endpoint down; the model is retrained on request.
          this.medledger.log.error({ file, err: error }, 'ALERT unreadable study model skipped');
        }
      }
    }
    return this.loadedModels;
  }

  private get indexPath(): string {
    return join(this.dir, 'studies.json');
  }

  private studyIds(): string[] {
    if (!existsSync(this.indexPath)) return [];
    return JSON.parse(readFileSync(this.indexPath, 'utf8')) as string[];
  }

  private remember(studyId: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const ids = [...new Set([...this.studyIds(), studyId])];
    const tmp = `${this.indexPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(ids), { mode: 0o600 });
    renameSync(tmp, this.indexPath);
  }

  /**
   * Proposes a study (researcher, purpose HRESCH or a specialisation) or a surveillance programme (public-health,
   * purpose PUBHLTH). `protocol` text is hashed here; only its SHA-256 goes on the ledger.
   */
  async propose(caller: Caller, body: Body): Promise<StudyView> {
    const protocolHash =
      typeof body.protocol === 'string'
        ? createHash('sha256').update(body.protocol, 'utf8').digest('hex')
        : body.protocolHash;
    const input = {
      ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
      resourceTypes: body.resourceTypes ?? ['Observation', 'Condition'],
      protocolHash,
      epsilonBudget: body.epsilonBudget,
      ...(body.deltaBudget === undefined ? {} : { deltaBudget: body.deltaBudget }),
      ...(body.periodEnd === undefined ? {} : { periodEnd: body.periodEnd }),
    };
    const study = (await this.gateway.submit<StudyRecord>(caller.account.username, 'ProposeStudy', input)).value;
    this.remember(study.id);
    return view(study);
  }

  /** An ethics board member (not the proposer) approves or rejects. */
  async decide(caller: Caller, studyId: string, decision: unknown): Promise<StudyView> {
    const input = { studyId, decision };
    return view((await this.gateway.submit<StudyRecord>(caller.account.username, 'DecideStudy', input)).value);
  }

  /** The study as the contract shows it to the caller; NOT_FOUND when the caller may not see it. */
  async get(caller: Caller, studyId: string): Promise<StudyView> {
    if (!PATTERNS.studyId.test(studyId)) throw new DomainError('NOT_FOUND', 'study not found');
    return view(await this.gateway.evaluate<StudyRecord>(caller.account.username, 'GetStudy', { studyId }));
  }

  /** Studies this deployment registered that the caller may see. */
  async list(caller: Caller): Promise<StudyView[]> {
    const visible: StudyView[] = [];
    for (const id of this.studyIds()) {
      try {
        visible.push(await this.get(caller, id));
      } catch (error: unknown) {
        if (!(error instanceof DomainError && error.code === 'NOT_FOUND')) throw error;
      }
    }
    return visible;
  }

  /** An approved study, for its owners only: nobody else may draw its cohort (and write audit events by trying). */
  private async approved(caller: Caller, studyId: string): Promise<StudyView> {
    const study = await this.get(caller, studyId);
    if (caller.account.role !== studyOwnerRole(study.purpose) || caller.account.mspId !== study.proposer.mspId) {
      throw new DomainError('ACCESS_DENIED', "only the proposing organisation's study team uses a study's data");
    }
    if (study.status !== 'approved') throw new DomainError('STUDY_NOT_APPROVED', `study is ${study.status}`);
    return study;
  }

  /**
   * Refuses before drawing a cohort (and writing its audit events) when the budget cannot cover the release: its
   * epsilon, and its δ when it is a Gaussian release.
   */
  private async budgeted(caller: Caller, studyId: string, epsilon: number, delta = 0): Promise<StudyView> {
    const study = await this.approved(caller, studyId);
    if (
      typeof epsilon === 'number' &&
      Math.round(epsilon * 1_000_000) > study.epsilonBudgetMicro - study.epsilonSpentMicro
    ) {
      throw new DomainError(
        'BUDGET_EXHAUSTED',
        `privacy budget exhausted: ${String(study.epsilonBudgetMicro - study.epsilonSpentMicro)} micro-epsilon left`,
      );
    }
    if (toPicoDelta(delta) > deltaRemainingPico(study)) {
      throw new DomainError('BUDGET_EXHAUSTED', `privacy budget exhausted: δ ${String(study.deltaRemaining)} left`);
    }
    return study;
  }

  private research(study: StudyView): void {
    if (study.purpose === 'PUBHLTH') {
      throw new DomainError('ACCESS_DENIED', 'public-health programmes receive differentially private aggregates only');
    }
  }

  /**
   * The consented cohort: AuthorizeCohort (submitted, committed, audited per patient) over every registered patient,
   * then each permitted record released by its custodian against that transaction, with the members' demographics
   * from their home organisation's vault.
   */
  private async cohort(caller: Caller, study: StudyView): Promise<Cohort> {
    const everyone = ORGANIZATIONS.flatMap((org) => this.medledger.store.patientsOf(org)).sort();
    const identity = await this.medledger.network.identity(caller.account.username);
    const patientIds: string[] = [];
    const resources: FhirResource[] = [];
    for (let i = 0; i < everyone.length; i += COHORT_CHUNK) {
      const submitted = await this.gateway.submit<{
        purposeAccepted: boolean;
        members: Array<{ patientId: string; records: PermittedRecord[] }>;
      }>(caller.account.username, 'AuthorizeCohort', {
        patientIds: everyone.slice(i, i + COHORT_CHUNK),
        purpose: study.purpose === 'PUBHLTH' ? 'PUBHLTH' : 'HRESCH',
        studyId: study.id,
        requestId: caller.requestId,
      });
      if (!submitted.value.purposeAccepted) {
        throw new DomainError('ACCESS_DENIED', `role ${caller.account.role} may not use this study's data`);
      }
      const proof: AuthorizationProof = {
        txId: submitted.txId,
        blockNumber: submitted.blockNumber,
        requesterCertPem: identity.certPem,
      };
      for (const member of submitted.value.members) {
        const entry = this.medledger.store.patient(member.patientId);
        if (entry === undefined) continue;
        patientIds.push(member.patientId);
        resources.push((await this.medledger.network.vault(entry.homeOrg).get(entry.vaultRecordId)).resource);
        for (const record of member.records) resources.push(await this.release(proof, record));
      }
    }
    return { patientIds, resources };
  }

  private async release(proof: AuthorizationProof, record: PermittedRecord): Promise<FhirResource> {
    const custodian = this.custodians.get(record.custodian);
    if (custodian === undefined) throw new DomainError('INTERNAL', `no custodian service for ${record.custodian}`);
    return custodian.release(proof, record.recordId);
  }

  private asOf(): string {
    return this.medledger.clock().toISOString().slice(0, 10);
  }

  /** Safe Harbor with the study's own pseudonym key and k-anonymity at the protection asked for. */
  private deidentified(cohort: Cohort, studyId: string, protection: ExportProtection): DeidentifiedExport {
    return deidentify(cohort.resources as AnalyticsResource[], {
      studyKey: deriveStudyKey(this.secret, studyId),
      asOf: this.asOf(),
      ...protection,
    });
  }

  private features(cohort: Cohort): PatientFeatures[] {
    return extractFeatures(cohort.resources as AnalyticsResource[], this.asOf());
  }

  private accountant(caller: Caller, studyId: string): PrivacyAccountant {
    return new LedgerPrivacyAccountant(this.gateway, caller.account.username, studyId);
  }

  /** The cohort size with differential privacy (the true size is never returned). */
  async cohortSize(caller: Caller, studyId: string, body: Body): Promise<DpRelease<number>> {
    const query = parseAggregateQuery({ ...body, kind: 'count' });
    return (await this.aggregate(caller, studyId, query)) as DpRelease<number>;
  }

  /** One DP release over the consented cohort; its epsilon is spent on the ledger first. */
  async aggregate(caller: Caller, studyId: string, query: AggregateQuery): Promise<DpRelease<unknown>> {
    await this.budgeted(
      caller,
      studyId,
      query.epsilon,
      query.mechanism === 'gaussian' ? (query.delta ?? DEFAULT_DELTA) : 0,
    );
    const study = await this.get(caller, studyId);
    const all = this.features(await this.cohort(caller, study));
    const rows =
      query.condition === undefined ? all : all.filter((r) => r.conditions[query.condition as ConditionName]);
    const options = {
      accountant: this.accountant(caller, studyId),
      epsilon: query.epsilon,
      query: {
        study: studyId,
        kind: query.kind,
        variable: query.variable,
        condition: query.condition,
        groupBy: query.groupBy,
        edges: query.edges,
      },
      ...(query.mechanism === undefined ? {} : { mechanism: query.mechanism }),
      ...(query.delta === undefined ? {} : { delta: query.delta }),
    };
    const values = (): number[] =>
      rows.flatMap((r) => {
        const value = query.variable === undefined ? undefined : r[query.variable];
        return value === undefined ? [] : [value];
      });
    switch (query.kind) {
      case 'count':
        return releaseCount(rows.length, options);
      case 'histogram':
        return releaseHistogram(histogramCounts(rows, query), options);
      case 'sum':
        return releaseSum(values(), query.bounds ?? { lower: 0, upper: 1, granularity: 1 }, options);
      case 'mean':
        return releaseMean(values(), query.bounds ?? { lower: 0, upper: 1, granularity: 1 }, options);
    }
  }

  /**
   * The study's de-identified cohort (research studies only): Safe Harbor with the study's own pseudonym key and a
   * k-anonymity check; NDJSON of FHIR resources or CSV of one analysis row per patient, with the report.
   */
  async export(caller: Caller, studyId: string, body: Body): Promise<ExportResult> {
    const study = await this.approved(caller, studyId);
    this.research(study);
    const format = body.format === undefined ? 'ndjson' : oneOf(body.format, ['ndjson', 'csv'] as const, 'format');
    const protection = exportProtection(body);
    const exported = this.deidentified(await this.cohort(caller, study), studyId, protection);
    const data =
      format === 'csv'
        ? toCsv(extractFeatures(exported.resources, this.asOf()))
        : exported.resources.map((r) => JSON.stringify(r)).join('\n') + (exported.resources.length > 0 ? '\n' : '');
    return {
      studyId,
      format,
      report: exported.report,
      contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      data,
    };
  }

  /**
   * Trains and evaluates the type 2 diabetes risk model on the study's Safe Harbor de-identified cohort (research
   * studies only): seeded held-out split, AUC, ROC and calibration. The rows never leave the server, only the
   * model's aggregate results, so k-anonymity suppression (a safeguard for released rows) is not applied here.
   */
  async train(caller: Caller, studyId: string, body: Body): Promise<StoredModel> {
    const study = await this.approved(caller, studyId);
    this.research(study);
    const seed = typeof body.seed === 'string' && body.seed.length > 0 ? body.seed.slice(0, 100) : 'medledger';
    const cohort = await this.cohort(caller, study);
    const exported = deidentify(cohort.resources as AnalyticsResource[], {
      studyKey: deriveStudyKey(this.secret, studyId),
      asOf: this.asOf(),
      k: 1,
    });
    const result = trainRiskModel(extractFeatures(exported.resources, this.asOf()), {
      seed,
      ...(body.testFraction === undefined ? {} : { testFraction: numberOf(body.testFraction, 'testFraction') }),
      ...(body.ridge === undefined ? {} : { ridge: numberOf(body.ridge, 'ridge') }),
      ...(Array.isArray(body.predictors) ? { predictors: body.predictors.map(String) } : {}),
    });
    const model: StoredModel = {
      id: `m-${randomBytes(12).toString('hex')}`,
      studyId,
      createdAt: this.medledger.clock().toISOString(),
      seed,
      ...result,
    };
    this.models.set(model.id, model);
    mkdirSync(join(this.dir, 'models'), { recursive: true, mode: 0o700 });
    const file = join(this.dir, 'models', `${model.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(model), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return model;
  }

  /** A study's trained models, oldest first (for whoever may see the study). */
  async listModels(caller: Caller, studyId: string): Promise<StoredModel[]> {
    await this.get(caller, studyId);
    return [...this.models.values()]
      .filter((m) => m.studyId === studyId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async model(caller: Caller, studyId: string, modelId: string): Promise<StoredModel> {
    await this.get(caller, studyId);
    const model = this.models.get(modelId);
    if (model?.studyId !== studyId) throw new DomainError('NOT_FOUND', 'model not found');
    return model;
  }

  /**
   * The standard charts (for the report and the portals), each from one DP release: new diagnoses of a condition by
   * month and region (cumulative prevalence per 1,000 is post-processing of those counts and a noisy population
   * count, by region and over all areas), and the age and BMI distributions. `epsilon` is split evenly over the six
   * releases.
   */
  async charts(caller: Caller, studyId: string, body: Body): Promise<Chart[]> {
    const request = chartRequest(body, this.asOf());
    const { share, condition, months, regions } = request;
    await this.budgeted(
      caller,
      studyId,
      share * CHART_RELEASES,
      request.mechanism === 'gaussian' ? DEFAULT_DELTA * CHART_RELEASES : 0,
    );
    const study = await this.get(caller, studyId);
    const cohort = await this.cohort(caller, study);
    const rows = this.features(cohort);
    const base = { accountant: this.accountant(caller, studyId), epsilon: share, mechanism: request.mechanism };
    const regionOf = regionIndex(cohort.resources, regions);
    const incidence = await releaseHistogram(onsetCells(cohort.resources, regionOf, request), {
      ...base,
      query: { study: studyId, chart: 'onsets', condition, periods: months, regions },
    });
    const population: Record<string, number> = Object.fromEntries([...regions, 'other'].map((r) => [r, 0]));
    for (const patient of cohort.patientIds) {
      const region = regionOf.get(`Patient/${patient}`) ?? 'other';
      population[region] = (population[region] ?? 0) + 1;
    }
    const people = await releaseHistogram(population, {
      ...base,
      query: { study: studyId, chart: 'population', regions },
    });
    // The all-areas curve from its own releases: summing the regions' noisy cells would add up their noise.
    const overall = {
      onsets: (
        await releaseHistogram(overallOnsets(cohort.resources, request), {
          ...base,
          query: { study: studyId, chart: 'onsets-all', condition, periods: months },
        })
      ).value,
      population: (
        await releaseCount(cohort.patientIds.length, { ...base, query: { study: studyId, chart: 'population-all' } })
      ).value,
    };
    const ages = await releaseHistogram(
      histogramCounts(rows, { kind: 'histogram', epsilon: share, groupBy: 'ageBand' }),
      {
        ...base,
        query: { study: studyId, chart: 'age' },
      },
    );
    const bmiEdges = [10, 18.5, 25, 30, 35, 40, 60];
    const bmi = await releaseHistogram(
      histogramCounts(
        rows.filter((r) => r.bmi !== undefined),
        { kind: 'histogram', epsilon: share, variable: 'bmi', edges: bmiEdges },
      ),
      { ...base, query: { study: studyId, chart: 'bmi', edges: bmiEdges } },
    );
    return [
      prevalenceChart(condition, request, { onsets: incidence.value, population: people.value }, overall),
      barChart('Age distribution (DP)', 'age band', 'patients', ages.value, CATEGORIES.ageBand),
      barChart(
        'BMI distribution (DP)',
        'BMI kg/m²',
        'patients',
        bmi.value,
        bmiEdges.slice(1).map((_, i) => binLabel(bmiEdges, i)),
      ),
    ];
  }
}

interface ChartRequest {
  readonly share: number;
  readonly condition: ConditionName;
  /** The chart's periods (months `YYYY-MM`, quarters `YYYY-Qn` or years `YYYY`), in order. */
  readonly months: readonly string[];
  readonly interval: Interval;
  readonly regions: readonly string[];
  readonly mechanism: Mechanism;
}

type Interval = 'month' | 'quarter' | 'year';

/** The standard charts' DP releases: onsets and population by region, overall onsets and population, age, BMI. */
const CHART_RELEASES = 6;

/** The period a month (YYYY-MM) falls in. */
function periodOf(month: string, interval: Interval): string {
  if (interval === 'month') return month;
  if (interval === 'year') return month.slice(0, 4);
  return `${month.slice(0, 4)}-Q${String(Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1)}`;
}

const MAX_MONTHS: Readonly<Record<Interval, number>> = { month: 240, quarter: 480, year: 1200 };

function chartRequest(body: Body, asOf: string): ChartRequest {
  const epsilon = numberOf(body.epsilon, 'epsilon');
  const share = Math.floor((epsilon * 1_000_000) / CHART_RELEASES) / 1_000_000;
  if (share <= 0) throw invalid(`epsilon too small to split over ${String(CHART_RELEASES)} releases`);
  checkRelease({ epsilon, mechanism: body.mechanism === 'gaussian' ? 'gaussian' : 'laplace' });
  const interval = optionalOneOf(body.interval, ['month', 'quarter', 'year'] as const, 'interval') ?? 'month';
  return {
    share,
    condition:
      optionalOneOf(body.condition, Object.keys(STUDY_CONDITIONS) as ConditionName[], 'condition') ?? 'diabetes',
    interval,
    months: [
      ...new Set(
        monthRange(
          typeof body.from === 'string' ? body.from : `${String(Number(asOf.slice(0, 4)) - 5)}-01`,
          typeof body.to === 'string' ? body.to : asOf.slice(0, 7),
          MAX_MONTHS[interval],
        ).map((month) => periodOf(month, interval)),
      ),
    ],
    regions: Array.isArray(body.regions) ? body.regions.map(String).slice(0, 100) : DEFAULT_REGIONS,
    mechanism: body.mechanism === 'gaussian' ? 'gaussian' : 'laplace',
  };
}

/** New diagnoses per (region, month) cell: each patient counted once, at their first onset. */
function onsetCells(
  resources: readonly FhirResource[],
  regionOf: ReadonlyMap<string, string>,
  request: ChartRequest,
): Record<string, number> {
  const cells: Record<string, number> = {};
  for (const region of [...request.regions, 'other'])
    for (const month of request.months) cells[`${region}|${month}`] = 0;
  for (const [patient, month] of firstOnsets(resources, STUDY_CONDITIONS[request.condition] ?? '')) {
    const key = `${regionOf.get(patient) ?? 'other'}|${periodOf(month, request.interval)}`;
    if (key in cells) cells[key] = (cells[key] ?? 0) + 1;
  }
  return cells;
}

/** New diagnoses per period over all areas: each patient counted once, at their first onset. */
function overallOnsets(resources: readonly FhirResource[], request: ChartRequest): Record<string, number> {
  const cells: Record<string, number> = Object.fromEntries(request.months.map((period) => [period, 0]));
  for (const month of firstOnsets(resources, STUDY_CONDITIONS[request.condition] ?? '').values()) {
    const period = periodOf(month, request.interval);
    if (period in cells) cells[period] = (cells[period] ?? 0) + 1;
  }
  return cells;
}

function monthRange(from: string, to: string, maxMonths: number): string[] {
  const parse = (text: string): number => {
    const match = /^(\d{4})-(\d{2})$/.exec(text);
    if (match === null) throw invalid('from and to are months (YYYY-MM)');
    return Number(match[1]) * 12 + Number(match[2]) - 1;
  };
  const start = parse(from);
  const end = parse(to);
  if (end < start || end - start >= maxMonths) throw invalid(`from..to must span 1 to ${String(maxMonths)} months`);
  return Array.from({ length: end - start + 1 }, (_, i) => {
    const m = start + i;
    return `${String(Math.floor(m / 12))}-${String((m % 12) + 1).padStart(2, '0')}`;
  });
}

/** Patient reference → public region (ZIP3 in `regions`, else "other"). */
function regionIndex(resources: readonly FhirResource[], regions: readonly string[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const resource of resources) {
    if (resource.resourceType !== 'Patient') continue;
    const address = (resource.address as Array<{ postalCode?: unknown }> | undefined)?.[0];
    const zip = typeof address?.postalCode === 'string' ? generalizeZip(address.postalCode) : undefined;
    index.set(`Patient/${String(resource.id)}`, zip !== undefined && regions.includes(zip) ? zip : 'other');
  }
  return index;
}

function hasCode(resource: FhirResource, type: string, code: string): boolean {
  if (resource.resourceType !== type) return false;
  const codings = (resource.code as { coding?: Array<{ code?: unknown }> } | undefined)?.coding ?? [];
  return codings.some((c) => c.code === code);
}

/** Each patient's first onset month (YYYY-MM) of a condition code: one contribution per person. */
function firstOnsets(resources: readonly FhirResource[], code: string): Map<string, string> {
  const first = new Map<string, string>();
  for (const resource of resources) {
    if (!hasCode(resource, 'Condition', code)) continue;
    const subject = (resource.subject as { reference?: unknown } | undefined)?.reference;
    const onset = typeof resource.onsetDateTime === 'string' ? resource.onsetDateTime : resource.recordedDate;
    if (typeof subject !== 'string' || typeof onset !== 'string' || onset.length < 7) continue;
    const month = onset.slice(0, 7);
    const previous = first.get(subject);
    if (previous === undefined || month < previous) first.set(subject, month);
  }
  return first;
}

/** Cumulative prevalence per 1,000 from noisy monthly counts: unbiased sums, clamped only at the end. */
function cumulativePerThousand(
  months: readonly string[],
  monthly: (month: string) => number,
  population: number,
): Array<{ x: string; y: number }> {
  const people = Math.max(1, population);
  let cumulative = 0;
  return months.map((month) => {
    cumulative += monthly(month);
    return { x: month, y: Math.round((1000 * Math.min(Math.max(cumulative, 0), people)) / people) };
  });
}

interface NoisyCounts<P> {
  readonly onsets: Readonly<Record<string, number>>;
  readonly population: P;
}

function prevalenceChart(
  condition: string,
  request: ChartRequest,
  byArea: NoisyCounts<Readonly<Record<string, number>>>,
  overall: NoisyCounts<number>,
): LineChart {
  const { months, regions, interval } = request;
  const all = {
    name: 'all areas',
    points: cumulativePerThousand(months, (period) => overall.onsets[period] ?? 0, overall.population),
  };
  const byRegion = [...regions, 'other']
    // Post-processing: regions whose noisy population is small would only show noise.
    .filter((region) => (byArea.population[region] ?? 0) >= 20)
    .map((region) => ({
      name: region === 'other' ? 'other areas' : `ZIP ${region}xx`,
      points: cumulativePerThousand(
        months,
        (period) => byArea.onsets[`${region}|${period}`] ?? 0,
        byArea.population[region] ?? 0,
      ),
    }));
  return {
    kind: 'line',
    title: `Prevalence of ${condition} per 1,000 by ${interval} and region (DP)`,
    xLabel: interval,
    yLabel: 'per 1,000 patients',
    series: [all, ...byRegion],
  };
}

function barChart(
  title: string,
  xLabel: string,
  yLabel: string,
  counts: Readonly<Record<string, number>>,
  order: readonly string[],
): BarChart {
  return {
    kind: 'bar',
    title,
    xLabel,
    yLabel,
    bars: order.map((label) => ({ label, value: Math.max(0, counts[label] ?? 0) })),
  };
}

const services = new WeakMap<Medledger, StudyService>();

/** The study service of an open Medledger (one per instance); also for `medledger demo` to create an approved study. */
export function studyServiceFor(medledger: Medledger): StudyService {
  let service = services.get(medledger);
  if (service === undefined) {
    service = new StudyService(medledger);
    services.set(medledger, service);
  }
  return service;
}

/** A Caller for an in-process use case (no HTTP request): the account acting, with a fresh request id. */
function inProcessCaller(medledger: Medledger, username: string): Caller {
  const account = medledger.accounts.get(username);
  if (account === undefined) throw new DomainError('NOT_FOUND', `account ${username} is not known`);
  const purpose = account.role === 'public-health' ? 'PUBHLTH' : 'HRESCH';
  return { account, purpose, requestId: randomBytes(16).toString('hex'), scope: 'user/*.cruds' };
}

/**
 * Proposes a study as `researcher` (or a PUBHLTH programme as a public-health user) and has `ethics` approve it: one
 * call for `medledger demo` and other seeding. Both are real ledger transactions.
 */
export async function createApprovedStudy(
  medledger: Medledger,
  options: {
    readonly researcher: string;
    readonly ethics: string;
    readonly protocol: string;
    readonly epsilonBudget: number;
    readonly deltaBudget?: number;
    readonly resourceTypes?: readonly string[];
    readonly purpose?: string;
    readonly periodEnd?: string;
  },
): Promise<StudyView> {
  const studies = studyServiceFor(medledger);
  const proposed = await studies.propose(inProcessCaller(medledger, options.researcher), {
    protocol: options.protocol,
    epsilonBudget: options.epsilonBudget,
    ...(options.deltaBudget === undefined ? {} : { deltaBudget: options.deltaBudget }),
    resourceTypes: options.resourceTypes ?? ['Observation', 'Condition'],
    ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
    ...(options.periodEnd === undefined ? {} : { periodEnd: options.periodEnd }),
  });
  return studies.decide(inProcessCaller(medledger, options.ethics), proposed.id, 'approve');
}
