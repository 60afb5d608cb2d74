/**
 * Property: for random consent sets and random read requests, `AuthorizeAccess` permits exactly the records that an
 * independent, deliberately simple reference model of docs/consent-evaluation.md permits, and every decision (permits
 * and denials alike) is on the patient's audit trail.
 *
 * The model below re-implements the rules from the documents only; it never calls core's evaluation functions:
 * - pre-check: clinicians may assert TREAT, insurers HPAYMT; anything else is refused (purposeAccepted false, audit 8);
 * - a consent counts only when `active` and its root provision (period included) matches the request;
 * - a provision matches when every populated element matches (AND) and any value of a repeated element does (OR);
 *   actor IRCP = one of the caller's identities, CST = the record's custodian; security labels: sensitivity codes
 *   match exactly, confidentiality uses the high-water mark (untagged = N, sensitive = R; permit ≤, deny ≥);
 * - a matching root's type is refined by its matching children; among matching siblings deny beats permit;
 * - Medledger rule: an OPTIN consent whose root is deny only permits or is not applicable (the root deny is the
 *   baseline, not a veto); an OPTOUT root deny vetoes;
 * - across consents any deny denies, else any permit permits, else TREAT falls back to the implied treatment
 *   relationship (caller's org is the patient's home org and holds the record) and HPAYMT is denied.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AuditRecord } from '@medledger/core';
import fc from 'fast-check';
import { createContractHarness } from '../testing/contract-harness.js';
import type { ContractHarness } from '../testing/contract-harness.js';
import { consentResource, fhir, optInPermit, sha256, testRecordId } from '../testing/medledger-fixture.js';
import { createTestNetwork } from '../testing/test-ca.js';
import type { TestIdentity, TestNetwork } from '../testing/test-ca.js';
import { MedledgerContract } from './medledger-contract.js';
import type { AuthorizeAccessResult } from '@medledger/core';

// ---------------------------------------------------------------------------------------------------------------
// Scenario vocabulary
// ---------------------------------------------------------------------------------------------------------------

const ORGS = ['HospitalAMSP', 'HospitalBMSP'] as const;
type Org = (typeof ORGS)[number];
const RECORD_TYPES = ['Observation', 'Condition', 'Claim', 'Encounter'] as const;
type RecordType = (typeof RECORD_TYPES)[number];
type RecordLabel = 'none' | 'HIV' | 'PSY';
const PROVISION_LABELS = ['HIV', 'PSY', 'R', 'N'] as const;
type ProvisionLabel = (typeof PROVISION_LABELS)[number];
const ACTOR_REFERENCES = [
  'Practitioner/dr-b',
  'Group/HospitalBMSP-clinician',
  'Organization/InsurerMSP',
  'Organization/HospitalAMSP',
] as const;
const PURPOSES = ['TREAT', 'HPAYMT', 'ETREAT'] as const;
const REQUESTERS = ['drA', 'drB', 'insurer'] as const;
type RequesterName = (typeof REQUESTERS)[number];

/** Every request is evaluated at this instant; consent periods are placed around it. */
const REQUEST_TIME = '2025-06-15T12:00:00Z';
const DAY_MS = 24 * 60 * 60 * 1000;

interface PeriodSpec {
  readonly start?: string;
  readonly end?: string;
}

/** Named so that a shrunk counterexample reads well. */
const PERIODS: Readonly<Record<string, PeriodSpec | undefined>> = {
  none: undefined,
  current: { start: '2025-01-01', end: '2025-12-31' },
  expired: { start: '2024-01-01', end: '2025-06-14' },
  future: { start: '2025-06-16' },
  endsToday: { end: '2025-06-15' }, // a date covers the whole day, so still in force at 12:00
  startsNow: { start: '2025-06-15T12:00:00Z' }, // bounds are inclusive
  endedSecondAgo: { end: '2025-06-15T11:59:59Z' },
};

interface ActorSpec {
  readonly role: 'IRCP' | 'CST';
  readonly reference: string;
}

interface ProvisionSpec {
  readonly type: 'permit' | 'deny';
  readonly period: string; // key of PERIODS
  readonly actors: readonly ActorSpec[];
  readonly actions: readonly string[];
  readonly purposes: readonly string[];
  readonly classes: readonly RecordType[];
  readonly labels: readonly ProvisionLabel[];
  readonly children: readonly ProvisionSpec[];
}

interface ConsentSpec {
  readonly shape: 'optin-base-deny' | 'optout-root-deny' | 'root-permit-deny-child';
  readonly policyRule: 'OPTIN' | 'OPTOUT';
  readonly status: 'active' | 'inactive' | 'draft';
  readonly root: ProvisionSpec;
}

interface RecordSpec {
  readonly type: RecordType;
  readonly label: RecordLabel;
  readonly custodian: Org;
}

interface PatientSpec {
  readonly home: Org;
  readonly records: readonly RecordSpec[];
  readonly consents: readonly ConsentSpec[];
}

interface RequestSpec {
  readonly patient: number;
  readonly requester: RequesterName;
  readonly purpose: 'TREAT' | 'HPAYMT';
  /** resourceTypes filter; empty means all types. */
  readonly types: readonly RecordType[];
  /** recordIds filter as [patient, record] indexes (any patient's, or a missing id); undefined means no filter. */
  readonly recordPicks?: ReadonlyArray<readonly [number, number]>;
}

interface Scenario {
  readonly patients: readonly PatientSpec[];
  readonly requests: readonly RequestSpec[];
}

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

/** Mostly unconstrained (empty), otherwise one or two values: constraints that rarely match make dull scenarios. */
function fewOf<T>(values: readonly T[], emptyWeight = 3): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: emptyWeight, arbitrary: fc.constant<T[]>([]) },
    { weight: 3, arbitrary: fc.subarray([...values], { minLength: 1, maxLength: 2 }) },
  );
}

const periodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('none') },
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(PERIODS).filter((key) => key !== 'none')) },
);

const actorArb: fc.Arbitrary<ActorSpec> = fc.record({
  role: fc.oneof({ weight: 5, arbitrary: fc.constant('IRCP' as const) }, fc.constant('CST' as const)),
  reference: fc.constantFrom(...ACTOR_REFERENCES),
});

const actionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant<string[]>([]) },
  { weight: 3, arbitrary: fc.constant(['access']) },
  fc.constant(['collect']),
  fc.constant(['access', 'use']),
);

/** `elements`: none (a bare base provision), `some` (each element constrained about half the time) or `few`. */
function provisionArb(
  type: fc.Arbitrary<'permit' | 'deny'>,
  elements: 'none' | 'some' | 'few' = 'some',
): fc.Arbitrary<ProvisionSpec> {
  if (elements === 'none') {
    return fc.record({
      type,
      period: periodArb,
      actors: fc.constant([]),
      actions: fc.constant([]),
      purposes: fc.constant([]),
      classes: fc.constant([]),
      labels: fc.constant([]),
      children: fc.constant([]),
    });
  }
  const empty = elements === 'few' ? 3 : 1;
  return fc.record({
    type,
    period: elements === 'few' ? fc.constant('none') : periodArb,
    actors: fc.oneof(
      { weight: empty, arbitrary: fc.constant<ActorSpec[]>([]) },
      { weight: 3, arbitrary: fc.uniqueArray(actorArb, { minLength: 1, maxLength: 2, selector: (a) => a.reference }) },
    ),
    actions: elements === 'few' ? fc.constant([]) : actionsArb,
    purposes: fewOf(PURPOSES, 3 * empty),
    classes: fewOf(RECORD_TYPES, 3 * empty),
    labels: fewOf(PROVISION_LABELS, 6 * empty),
    children: fc.constant([]),
  });
}

const permitOrDeny = fc.oneof(
  { weight: 2, arbitrary: fc.constant('permit' as const) },
  { weight: 1, arbitrary: fc.constant('deny' as const) },
);
const statusArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('active' as const) },
  fc.constant('inactive' as const),
  fc.constant('draft' as const),
);

/**
 * A permit child, alone or with a sibling: a random one, or a carve-out with the permit's own scope narrowed by a
 * security label or a class (FHIR-CONVENTIONS example c), so that matching siblings disagree often enough.
 */
const permitWithSiblingArb: fc.Arbitrary<ProvisionSpec[]> = provisionArb(fc.constant('permit' as const), 'few').chain(
  (permit) =>
    fc.oneof(
      fc.constant<ProvisionSpec[]>([permit]),
      provisionArb(permitOrDeny).map((other) => [permit, other]),
      {
        weight: 2,
        arbitrary: fc
          .record({ label: fc.constantFrom(...PROVISION_LABELS), classes: fewOf(RECORD_TYPES, 2) })
          .map(({ label, classes }) => [
            permit,
            {
              ...permit,
              type: 'deny' as const,
              labels: [label],
              classes: classes.length > 0 ? classes : permit.classes,
            },
          ]),
      },
    ),
);

const consentArb: fc.Arbitrary<ConsentSpec> = fc.oneof(
  // Opt-in: base deny (possibly with its own period), 1–2 children.
  {
    weight: 2,
    arbitrary: fc
      .record({
        status: statusArb,
        root: provisionArb(fc.constant('deny' as const), 'none'),
        children: fc.oneof(
          { weight: 2, arbitrary: permitWithSiblingArb },
          fc.array(provisionArb(permitOrDeny), { minLength: 1, maxLength: 2 }),
        ),
      })
      .map(({ status, root, children }) => ({
        shape: 'optin-base-deny' as const,
        policyRule: 'OPTIN' as const,
        status,
        root: { ...root, children },
      })),
  },
  // Opt-out: an explicit objection (root deny with elements), sometimes with an exception.
  fc
    .record({
      status: statusArb,
      root: provisionArb(fc.constant('deny' as const)),
      children: fc.array(provisionArb(permitOrDeny), { maxLength: 1 }),
    })
    .map(({ status, root, children }) => ({
      shape: 'optout-root-deny' as const,
      policyRule: 'OPTOUT' as const,
      status,
      root: { ...root, children },
    })),
  // Root permit carved by a deny child (FHIR-CONVENTIONS example b), under either policy rule.
  fc
    .record({
      status: statusArb,
      policyRule: fc.constantFrom('OPTIN' as const, 'OPTOUT' as const),
      root: provisionArb(fc.constant('permit' as const)),
      child: provisionArb(fc.constant('deny' as const)),
      sibling: fc.option(provisionArb(fc.constant('permit' as const)), { nil: undefined }),
    })
    .map(({ status, policyRule, root, child, sibling }) => ({
      shape: 'root-permit-deny-child' as const,
      policyRule,
      status,
      root: { ...root, children: sibling === undefined ? [child] : [child, sibling] },
    })),
);

const recordArb: fc.Arbitrary<RecordSpec> = fc.record({
  type: fc.constantFrom(...RECORD_TYPES),
  label: fc.oneof(
    { weight: 3, arbitrary: fc.constant('none' as const) },
    fc.constantFrom('HIV' as const, 'PSY' as const),
  ),
  custodian: fc.constantFrom(...ORGS),
});

const patientArb: fc.Arbitrary<PatientSpec> = fc.record({
  home: fc.constantFrom(...ORGS),
  records: fc.array(recordArb, { minLength: 1, maxLength: 4 }),
  consents: fc.array(consentArb, { maxLength: 3 }),
});

/** The purpose the role may assert most of the time, the other one (refused by the pre-check) sometimes. */
function requestArb(patientCount: number): fc.Arbitrary<RequestSpec> {
  return fc
    .record({
      patient: fc.nat({ max: patientCount - 1 }),
      requester: fc.constantFrom(...REQUESTERS),
      assertsOwnPurpose: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
      types: fc.oneof(
        { weight: 3, arbitrary: fc.constant<RecordType[]>([]) },
        fc.subarray([...RECORD_TYPES], { minLength: 1 }),
      ),
      // Usually no recordIds filter; sometimes ids of this or another patient's records, or of missing ones.
      recordPicks: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        fc.array(fc.tuple(fc.nat({ max: patientCount }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 3 }),
      ),
    })
    .map(({ assertsOwnPurpose, requester, recordPicks, ...rest }): RequestSpec => {
      const own = requester === 'insurer' ? 'HPAYMT' : 'TREAT';
      const other = requester === 'insurer' ? 'TREAT' : 'HPAYMT';
      return {
        ...rest,
        requester,
        purpose: assertsOwnPurpose ? own : other,
        ...(recordPicks === undefined ? {} : { recordPicks }),
      };
    });
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.array(patientArb, { minLength: 1, maxLength: 3 }).chain((patients) =>
  fc.record({
    patients: fc.constant(patients),
    requests: fc.array(requestArb(patients.length), { minLength: 1, maxLength: 6 }),
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// The reference model (independent of core)
// ---------------------------------------------------------------------------------------------------------------

interface ModelCaller {
  readonly mspId: string;
  readonly role: 'clinician' | 'insurer';
  readonly identities: readonly string[];
}

const CALLERS: Readonly<Record<RequesterName, ModelCaller & { readonly uid: string }>> = {
  drA: {
    mspId: 'HospitalAMSP',
    role: 'clinician',
    uid: 'dr-a',
    identities: ['Practitioner/dr-a', 'Organization/HospitalAMSP', 'Group/HospitalAMSP-clinician'],
  },
  drB: {
    mspId: 'HospitalBMSP',
    role: 'clinician',
    uid: 'dr-b',
    identities: ['Practitioner/dr-b', 'Organization/HospitalBMSP', 'Group/HospitalBMSP-clinician'],
  },
  insurer: {
    mspId: 'InsurerMSP',
    role: 'insurer',
    uid: 'ins-1',
    identities: ['Practitioner/ins-1', 'Organization/InsurerMSP', 'Group/InsurerMSP-insurer'],
  },
};

function mayAssert(caller: ModelCaller, purpose: string): boolean {
  return caller.role === 'clinician' ? purpose === 'TREAT' : purpose === 'HPAYMT';
}

/** [first, last] millisecond a FHIR date (whole UTC day) or instant stands for. */
function instantBounds(value: string): [number, number] {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    return [start, start + DAY_MS - 1];
  }
  const instant = Date.parse(value);
  return [instant, instant];
}

function inPeriod(periodName: string, time: number): boolean {
  const period = PERIODS[periodName];
  if (period === undefined) return true;
  if (period.start !== undefined && time < instantBounds(period.start)[0]) return false;
  if (period.end !== undefined && time > instantBounds(period.end)[1]) return false;
  return true;
}

const CONFIDENTIALITY = ['U', 'L', 'M', 'N', 'R', 'V'];

function labelCovers(type: 'permit' | 'deny', label: ProvisionLabel, record: RecordSpec): boolean {
  if (label === 'HIV' || label === 'PSY') return record.label === label;
  const recordLevel = CONFIDENTIALITY.indexOf(record.label === 'none' ? 'N' : 'R');
  const labelLevel = CONFIDENTIALITY.indexOf(label);
  return type === 'permit' ? recordLevel <= labelLevel : recordLevel >= labelLevel;
}

interface ModelRequest {
  readonly caller: ModelCaller;
  readonly purpose: string;
  readonly time: number;
}

function provisionMatches(p: ProvisionSpec, request: ModelRequest, record: RecordSpec): boolean {
  const actorOk =
    p.actors.length === 0 ||
    p.actors.some((actor) =>
      actor.role === 'IRCP'
        ? request.caller.identities.includes(actor.reference)
        : actor.reference === `Organization/${record.custodian}`,
    );
  return (
    inPeriod(p.period, request.time) &&
    actorOk &&
    (p.actions.length === 0 || p.actions.includes('access')) &&
    (p.purposes.length === 0 || p.purposes.includes(request.purpose)) &&
    (p.classes.length === 0 || p.classes.includes(record.type)) &&
    (p.labels.length === 0 || p.labels.some((label) => labelCovers(p.type, label, record)))
  );
}

function consentVerdict(consent: ConsentSpec, request: ModelRequest, record: RecordSpec): 'permit' | 'deny' | 'none' {
  if (consent.status !== 'active') return 'none';
  const root = consent.root;
  if (!provisionMatches(root, request, record)) return 'none';
  const matching = root.children.filter((child) => provisionMatches(child, request, record)).map((c) => c.type);
  const verdict = matching.length === 0 ? root.type : matching.includes('deny') ? 'deny' : 'permit';
  if (consent.policyRule === 'OPTIN' && root.type === 'deny') return verdict === 'permit' ? 'permit' : 'none';
  return verdict;
}

type ModelDecision = 'consent' | 'treatment-relationship' | 'denied-by-consent' | 'default-deny' | 'purpose-refused';

function modelDecision(patient: PatientSpec, request: ModelRequest, record: RecordSpec): ModelDecision {
  if (!mayAssert(request.caller, request.purpose)) return 'purpose-refused';
  const verdicts = patient.consents.map((consent) => consentVerdict(consent, request, record));
  if (verdicts.includes('deny')) return 'denied-by-consent';
  if (verdicts.includes('permit')) return 'consent';
  const implied =
    request.purpose === 'TREAT' && patient.home === request.caller.mspId && record.custodian === request.caller.mspId;
  return implied ? 'treatment-relationship' : 'default-deny';
}

/** Whether some applicable consent has matching children that disagree (deny must beat permit there). */
function siblingsDisagree(patient: PatientSpec, request: ModelRequest, record: RecordSpec): boolean {
  return patient.consents.some((consent) => {
    if (consent.status !== 'active' || !provisionMatches(consent.root, request, record)) return false;
    const types = consent.root.children.filter((c) => provisionMatches(c, request, record)).map((c) => c.type);
    return types.includes('deny') && types.includes('permit');
  });
}

function modelPermits(patient: PatientSpec, request: ModelRequest, record: RecordSpec): boolean {
  const decision = modelDecision(patient, request, record);
  return decision === 'consent' || decision === 'treatment-relationship';
}

/** How often each branch of the rules decided a record, and each audit outcome occurred (generator health). */
const coverage = new Map<string, number>();
const count = (key: string): void => {
  coverage.set(key, (coverage.get(key) ?? 0) + 1);
};

// ---------------------------------------------------------------------------------------------------------------
// Running a scenario against the contract
// ---------------------------------------------------------------------------------------------------------------

function periodJson(name: string): Record<string, unknown> {
  const period = PERIODS[name];
  return period === undefined ? {} : { period };
}

function provisionJson(p: ProvisionSpec): Record<string, unknown> {
  const some = (key: string, values: readonly unknown[]): Record<string, unknown> =>
    values.length === 0 ? {} : { [key]: values };
  return {
    type: p.type,
    ...periodJson(p.period),
    ...some(
      'actor',
      p.actors.map((actor) => fhir.actor(actor.reference, actor.role)),
    ),
    ...some('action', p.actions.map(fhir.action)),
    ...some('purpose', p.purposes.map(fhir.purpose)),
    ...some('class', p.classes.map(fhir.type)),
    ...some(
      'securityLabel',
      p.labels.map((label) => (label === 'R' || label === 'N' ? fhir.confidentiality(label) : fhir.sensitivity(label))),
    ),
    ...some('provision', p.children.map(provisionJson)),
  };
}

interface LivePatient {
  readonly spec: PatientSpec;
  readonly identity: TestIdentity;
  readonly patientId: string;
  readonly recordIds: readonly string[];
}

interface World {
  readonly network: TestNetwork;
  readonly callers: Readonly<Record<RequesterName, TestIdentity>>;
  readonly writers: Readonly<Record<Org, TestIdentity>>;
}

/** Each scenario runs on a fresh ledger (same identities), so scenarios are independent and shrink cleanly. */
class ScenarioLedger {
  readonly harness: ContractHarness = createContractHarness(new MedledgerContract());

  async submit<T>(identity: TestIdentity, tx: string, input: unknown): Promise<T> {
    return JSON.parse((await this.harness.invoke(identity, tx, JSON.stringify(input))).result) as T;
  }

  async evaluate<T>(identity: TestIdentity, tx: string, input: unknown): Promise<T> {
    return JSON.parse((await this.harness.evaluate(identity, tx, JSON.stringify(input))).result) as T;
  }
}

async function setUpPatient(
  world: World,
  ledger: ScenarioLedger,
  spec: PatientSpec,
  index: number,
): Promise<LivePatient> {
  const { writers } = world;
  const identity = await world.network.identity(spec.home, 'patient', `property-patient-${String(index)}`);
  const { patientId } = await ledger.submit<{ patientId: string }>(identity, 'RegisterPatient', {});
  // Records held by the other hospital need a write consent first; it is revoked before the scenario's consents.
  const foreign = ORGS.filter((org) => org !== spec.home && spec.records.some((r) => r.custodian === org));
  const writeConsents: string[] = [];
  for (const org of foreign) {
    const writeConsent = optInPermit({
      actor: [fhir.actor(`Practitioner/${writers[org].uid}`)],
      action: [fhir.action('collect')],
    });
    const created = await ledger.submit<{ id: string }>(
      identity,
      'PutConsent',
      consentResource(patientId, writeConsent),
    );
    writeConsents.push(created.id);
  }
  const recordIds: string[] = [];
  for (const [position, record] of spec.records.entries()) {
    const recordId = testRecordId(`property ${String(index)}-${String(position)}`);
    await ledger.submit(writers[record.custodian], 'RegisterRecord', {
      recordId,
      patientId,
      resourceType: record.type,
      category: 'other',
      securityLabels: record.label === 'none' ? [] : [fhir.sensitivity(record.label)],
      codes: [],
      clinicalDate: '2024-06-01',
      related: [],
      ciphertextSha256: sha256(`ciphertext ${recordId}`),
      plaintextHmac: sha256(`plaintext ${recordId}`),
    });
    recordIds.push(recordId);
  }
  for (const consentId of writeConsents) await ledger.submit(identity, 'RevokeConsent', { consentId });
  for (const consent of spec.consents) {
    await ledger.submit(
      identity,
      'PutConsent',
      consentResource(patientId, provisionJson(consent.root), {
        policyRule: consent.policyRule,
        status: consent.status,
      }),
    );
  }
  return { spec, identity, patientId, recordIds };
}

interface Expectation {
  readonly permitted: string[];
  /** Why each permitted record is permitted: `consent` or `treatment-relationship`. */
  readonly basis: Readonly<Record<string, ModelDecision>>;
  readonly withheld: number;
  readonly outcome: '0' | '4' | '8';
  readonly purposeAccepted: boolean;
}

function expectationFor(patients: readonly LivePatient[], request: RequestSpec, recordIds: string[]): Expectation {
  const caller = CALLERS[request.requester];
  const target = patients[request.patient]!;
  const modelRequest: ModelRequest = { caller, purpose: request.purpose, time: Date.parse(REQUEST_TIME) };
  if (!mayAssert(caller, request.purpose)) {
    count('decision: purpose-refused');
    return { permitted: [], basis: {}, withheld: 0, outcome: '8', purposeAccepted: false };
  }
  const candidates = target.spec.records
    .map((spec, index) => ({ spec, id: target.recordIds[index]! }))
    .filter(({ spec }) => request.types.length === 0 || request.types.includes(spec.type))
    .filter(({ id }) => request.recordPicks === undefined || recordIds.includes(id));
  const basis: Record<string, ModelDecision> = {};
  for (const { spec, id } of candidates) {
    const decision = modelDecision(target.spec, modelRequest, spec);
    count(`decision: ${decision}`);
    if (siblingsDisagree(target.spec, modelRequest, spec)) count('matching siblings disagree');
    if (modelPermits(target.spec, modelRequest, spec)) basis[id] = decision;
  }
  const permitted = Object.keys(basis).sort();
  const withheld = candidates.length - permitted.length;
  const outcome = withheld === 0 ? '0' : permitted.length > 0 ? '4' : '8';
  count(`audit outcome ${outcome}`);
  return { permitted, basis, withheld, outcome, purposeAccepted: true };
}

async function checkRequest(
  world: World,
  ledger: ScenarioLedger,
  patients: readonly LivePatient[],
  request: RequestSpec,
): Promise<void> {
  const target = patients[request.patient]!;
  const recordIds =
    request.recordPicks?.map(
      ([p, r]) => patients[p]?.recordIds[r] ?? testRecordId(`missing ${String(p)}-${String(r)}`),
    ) ?? [];
  const input = {
    patientId: target.patientId,
    purpose: request.purpose,
    ...(request.types.length === 0 ? {} : { resourceTypes: request.types }),
    ...(request.recordPicks === undefined ? {} : { recordIds }),
  };
  const raw = await ledger.harness.invokeWith(
    { identity: world.callers[request.requester], time: REQUEST_TIME },
    'AuthorizeAccess',
    JSON.stringify(input),
  );
  const result = JSON.parse(raw.result) as AuthorizeAccessResult;
  const expected = expectationFor(patients, request, recordIds);
  const what = `${request.requester} ${request.purpose} on patient ${String(request.patient)}`;
  assert.equal(result.purposeAccepted, expected.purposeAccepted, `${what}: purposeAccepted`);
  assert.deepEqual(result.records.map((r) => r.recordId).sort(), expected.permitted, `${what}: permitted records`);
  for (const record of result.records) {
    assert.equal(record.basis, expected.basis[record.recordId], `${what}: basis of ${record.recordId}`);
  }

  // The decision is on the patient's own audit trail, denials included.
  const { events } = await ledger.evaluate<{ events: AuditRecord[] }>(target.identity, 'GetAuditTrail', {
    pageSize: 500,
  });
  const event = events.find((candidate) => candidate.id === result.auditEventId);
  assert.ok(event, `${what}: audit event ${result.auditEventId} is on the patient's trail`);
  assert.equal(event.kind, expected.outcome === '8' ? 'access-denied' : 'search', `${what}: audit kind`);
  assert.equal(event.outcome, expected.outcome, `${what}: audit outcome`);
  assert.equal(event.withheld, expected.withheld, `${what}: audit withheld count`);
  assert.equal(event.purpose, request.purpose, `${what}: audit purpose`);
  assert.equal(event.agent.mspId, CALLERS[request.requester].mspId, `${what}: audit agent`);
  assert.deepEqual(
    event.records.map((r) => r.reference.split('/')[1]).sort(),
    expected.permitted,
    `${what}: audited records`,
  );
  if (expected.outcome !== '0') assert.ok(event.outcomeDesc, `${what}: outcomeDesc is required when not 0`);
}

async function runScenario(world: World, scenario: Scenario): Promise<void> {
  const ledger = new ScenarioLedger();
  const patients: LivePatient[] = [];
  for (const [index, spec] of scenario.patients.entries()) {
    patients.push(await setUpPatient(world, ledger, spec, index));
  }
  for (const request of scenario.requests) await checkRequest(world, ledger, patients, request);
}

// ---------------------------------------------------------------------------------------------------------------

const NUM_RUNS = Number(process.env.MEDLEDGER_FC_RUNS ?? 500);
const SEED = process.env.MEDLEDGER_FC_SEED === undefined ? undefined : Number(process.env.MEDLEDGER_FC_SEED);

describe('AuthorizeAccess against an independent model of the consent rules', () => {
  let world: World;

  before(async () => {
    const network = await createTestNetwork();
    world = {
      network,
      callers: {
        drA: await network.identity('HospitalAMSP', 'clinician', CALLERS.drA.uid),
        drB: await network.identity('HospitalBMSP', 'clinician', CALLERS.drB.uid),
        insurer: await network.identity('InsurerMSP', 'insurer', CALLERS.insurer.uid),
      },
      writers: {
        HospitalAMSP: await network.identity('HospitalAMSP', 'clinician', 'rw-a'),
        HospitalBMSP: await network.identity('HospitalBMSP', 'clinician', 'rw-b'),
      },
    };
  });

  it('the model agrees with the documents on hand-picked cases', () => {
    const drB: ModelRequest = { caller: CALLERS.drB, purpose: 'TREAT', time: Date.parse(REQUEST_TIME) };
    const obs: RecordSpec = { type: 'Observation', label: 'none', custodian: 'HospitalAMSP' };
    const bare: ProvisionSpec = {
      type: 'deny',
      period: 'none',
      actors: [],
      actions: [],
      purposes: [],
      classes: [],
      labels: [],
      children: [],
    };
    const optIn: ConsentSpec = {
      shape: 'optin-base-deny',
      policyRule: 'OPTIN',
      status: 'active',
      root: {
        ...bare,
        children: [{ ...bare, type: 'permit', actors: [{ role: 'IRCP', reference: 'Practitioner/dr-b' }] }],
      },
    };
    const home: PatientSpec = { home: 'HospitalAMSP', records: [obs], consents: [optIn] };
    assert.equal(modelPermits(home, drB, obs), true, 'example (a): opt-in permit');
    const drA: ModelRequest = { ...drB, caller: CALLERS.drA };
    assert.equal(modelPermits(home, drA, obs), true, 'an OPTIN base deny is not a veto on the home hospital');
    const optOut: ConsentSpec = { ...optIn, shape: 'optout-root-deny', policyRule: 'OPTOUT', root: bare };
    assert.equal(modelPermits({ ...home, consents: [optIn, optOut] }, drB, obs), false, 'an OPTOUT deny vetoes');
    assert.equal(modelPermits({ ...home, consents: [{ ...optIn, status: 'draft' }] }, drB, obs), false, 'draft');
    const expired: ConsentSpec = { ...optIn, root: { ...optIn.root, period: 'expired' } };
    assert.equal(modelPermits({ ...home, consents: [expired] }, drB, obs), false, 'expired root');
    const endsToday: ConsentSpec = { ...optIn, root: { ...optIn.root, period: 'endsToday' } };
    assert.equal(modelPermits({ ...home, consents: [endsToday] }, drB, obs), true, 'a date end covers its day');
    const hiv: RecordSpec = { ...obs, label: 'HIV' };
    const notSensitive: ConsentSpec = {
      ...optIn,
      root: { ...optIn.root, children: [optIn.root.children[0]!, { ...bare, labels: ['R'] }] },
    };
    assert.equal(modelPermits({ ...home, consents: [notSensitive] }, drB, hiv), false, 'deny R covers sensitive data');
    assert.equal(modelPermits({ ...home, consents: [notSensitive] }, drB, obs), true, 'deny R spares N data');
  });

  it('permits exactly what the model permits and audits every decision', async () => {
    if (SEED !== undefined) console.log(`fast-check seed (MEDLEDGER_FC_SEED): ${String(SEED)}`);
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(scenarioArb, (scenario) => runScenario(world, scenario)),
      { numRuns: NUM_RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    const summary = [...coverage.entries()].sort().map(([key, n]) => `${key}: ${String(n)}`);
    console.log(`${String(NUM_RUNS)} scenarios in ${String(Date.now() - started)} ms; ${summary.join(', ')}`);
    // The generators reach every branch of the rules (not a property of the contract: of this test).
    for (const decision of [
      'consent',
      'treatment-relationship',
      'denied-by-consent',
      'default-deny',
      'purpose-refused',
    ])
      assert.ok((coverage.get(`decision: ${decision}`) ?? 0) > 0, `some record was decided by ${decision}`);
    for (const outcome of ['0', '4', '8']) assert.ok((coverage.get(`audit outcome ${outcome}`) ?? 0) > 0);
    assert.ok((coverage.get('matching siblings disagree') ?? 0) > 0, 'deny-beats-permit among siblings was exercised');
  });
});
