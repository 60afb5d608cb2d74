import { CONFIDENTIALITY_ORDER, HRESCH_SPECIALISATIONS, SENSITIVITY_CODES, SYSTEMS } from './codes.js';
import type { ConfidentialityCode, ConsentAction, Role } from './codes.js';
import type { Coding, ConsentRecord, Provision, ProvisionActor } from './consent-model.js';
import { fhirInstantRange, periodContains } from './fhir-time.js';

/** Who asks, as the certificate says (FHIR-CONVENTIONS §0). */
export interface Requester {
  readonly mspId: string;
  readonly role: Role;
  readonly uid: string;
  /** `Practitioner/{uid}` (or `Patient/{id}`), `Organization/{MSP}` and `Group/{MSP}-{role}`. */
  readonly references: readonly string[];
}

/** The facts about one record that consent rules can constrain. All are on the ledger; none is PHI. */
export interface RecordFacts {
  readonly recordId: string;
  readonly resourceType: string;
  readonly securityLabels: readonly Coding[];
  readonly codes: readonly Coding[];
  /** The record's clinical date (effective[x], period, issued, else lastUpdated) as a FHIR date or dateTime. */
  readonly clinicalDate?: string;
  /** MSP id of the custodian organisation. */
  readonly custodian: string;
  /** `Practitioner/{uid}` of the author. */
  readonly author?: string;
  /** References to the Encounter, CarePlan or EpisodeOfCare the record belongs to. */
  readonly related: readonly string[];
}

export interface ConsentRequest {
  readonly requester: Requester;
  readonly action: ConsentAction;
  readonly purpose: string;
  /** Transaction time, epoch milliseconds. */
  readonly time: number;
}

export type ConsentVerdict = 'permit' | 'deny' | 'not-applicable';

export interface CombinedVerdict {
  readonly decision: 'permit' | 'deny' | 'none';
  /** `Consent/{id}/_history/{version}` of the consents that decided (the denying ones when the decision is deny). */
  readonly deciding: readonly string[];
}

/** The identities a certificate gives a caller. */
export function requesterReferences(mspId: string, role: Role, uid: string, patientId?: string): string[] {
  const self = role === 'patient' && patientId !== undefined ? `Patient/${patientId}` : `Practitioner/${uid}`;
  return [self, `Organization/${mspId}`, `Group/${mspId}-${role}`];
}

/** The effective confidentiality of a record: its own label (N when untagged), raised to R by a sensitivity label. */
export function recordConfidentiality(labels: readonly Coding[]): ConfidentialityCode {
  const explicit = labels
    .filter((label) => label.system === SYSTEMS.confidentiality)
    .map((label) => CONFIDENTIALITY_ORDER.indexOf(label.code as ConfidentialityCode));
  let level = explicit.length > 0 ? Math.max(...explicit) : CONFIDENTIALITY_ORDER.indexOf('N');
  if (labels.some(isSensitivity)) level = Math.max(level, CONFIDENTIALITY_ORDER.indexOf('R'));
  return CONFIDENTIALITY_ORDER[level] ?? 'N';
}

function isSensitivity(label: Coding): boolean {
  return label.system === SYSTEMS.actCode && (SENSITIVITY_CODES as readonly string[]).includes(label.code);
}

function actorMatches(actor: ProvisionActor, request: ConsentRequest, record: RecordFacts): boolean {
  switch (actor.role) {
    case 'IRCP':
    case 'PRCP':
      return request.requester.references.includes(actor.reference);
    case 'CST':
      return actor.reference === `Organization/${record.custodian}`;
    case 'AUT':
      return actor.reference === record.author || actor.reference === `Organization/${record.custodian}`;
  }
}

function purposeMatches(listed: readonly string[], purpose: string): boolean {
  return listed.some(
    (code) =>
      code === purpose || (code === 'HRESCH' && (HRESCH_SPECIALISATIONS as readonly string[]).includes(purpose)),
  );
}

function labelMatches(type: Provision['type'], label: Coding, record: RecordFacts): boolean {
  if (label.system === SYSTEMS.confidentiality) {
    const recordLevel = CONFIDENTIALITY_ORDER.indexOf(recordConfidentiality(record.securityLabels));
    const labelLevel = CONFIDENTIALITY_ORDER.indexOf(label.code as ConfidentialityCode);
    return type === 'permit' ? recordLevel <= labelLevel : recordLevel >= labelLevel;
  }
  return record.securityLabels.some((own) => own.system === label.system && own.code === label.code);
}

function dataPeriodMatches(provision: Provision, record: RecordFacts): boolean {
  if (!provision.dataPeriod) return true;
  // Unknown clinical date: a permit cannot vouch for it, a deny must still cover it (fail closed).
  if (record.clinicalDate === undefined) return provision.type === 'deny';
  const { start, end } = fhirInstantRange(record.clinicalDate, 'record clinical date');
  const period = provision.dataPeriod;
  const periodStart = period.start === undefined ? -Infinity : fhirInstantRange(period.start, 'dataPeriod.start').start;
  const periodEnd = period.end === undefined ? Infinity : fhirInstantRange(period.end, 'dataPeriod.end').end;
  // A permit must contain the record's whole date range; a deny covers any overlap (fail closed).
  return provision.type === 'permit'
    ? periodStart <= start && end <= periodEnd
    : periodStart <= end && start <= periodEnd;
}

function dataMatches(provision: Provision, record: RecordFacts): boolean {
  return provision.data.some((data) => {
    switch (data.meaning) {
      case 'instance':
        return data.reference === `${record.resourceType}/${record.recordId}`;
      case 'related':
        return record.related.includes(data.reference);
      case 'authoredby':
        return data.reference === record.author;
    }
  });
}

/** Whether every populated element of `provision` matches (AND); repeated values match if any one does (OR). */
export function provisionMatches(provision: Provision, request: ConsentRequest, record: RecordFacts): boolean {
  const some = <T>(items: readonly T[], test: (item: T) => boolean): boolean => items.length === 0 || items.some(test);
  return (
    periodContains(provision.period, request.time) &&
    some(provision.actor, (actor) => actorMatches(actor, request, record)) &&
    some(provision.action, (action) => action === request.action) &&
    (provision.purpose.length === 0 || purposeMatches(provision.purpose, request.purpose)) &&
    some(provision.class, (type) => type === record.resourceType) &&
    some(provision.code, (code) => record.codes.some((own) => own.system === code.system && own.code === code.code)) &&
    some(provision.securityLabel, (label) => labelMatches(provision.type, label, record)) &&
    dataPeriodMatches(provision, record) &&
    (provision.data.length === 0 || dataMatches(provision, record))
  );
}

/** The decision of a matching provision: refined by its matching children; among siblings deny beats permit. */
function resolve(provision: Provision, request: ConsentRequest, record: RecordFacts): 'permit' | 'deny' {
  const outcomes = provision.provision
    .filter((child) => provisionMatches(child, request, record))
    .map((child) => resolve(child, request, record));
  if (outcomes.length === 0) return provision.type;
  return outcomes.includes('deny') ? 'deny' : 'permit';
}

/**
 * Evaluates one consent for one record (FHIR-CONVENTIONS §2 step 3).
 *
 * Medledger rule: in an `OPTIN` consent the root `deny` is the opt-in baseline, i.e. the network's own default deny,
 * not an objection. Such a consent can only permit, and its deny children only carve exceptions out of its own
 * permits. Without this rule every opt-in consent would veto every other consent and the home hospital's implied
 * treatment access. A root `deny` in an `OPTOUT` consent is an explicit objection and vetoes as usual.
 */
export function evaluateConsent(consent: ConsentRecord, request: ConsentRequest, record: RecordFacts): ConsentVerdict {
  if (consent.status !== 'active') return 'not-applicable';
  const root = consent.provision;
  if (!provisionMatches(root, request, record)) return 'not-applicable';
  const verdict = resolve(root, request, record);
  if (consent.policyRule === 'OPTIN' && root.type === 'deny') return verdict === 'permit' ? 'permit' : 'not-applicable';
  return verdict;
}

/** Combines all of a patient's consents (§2 step 4): any deny gives deny, else any permit gives permit, else none. */
export function combineConsents(
  consents: readonly ConsentRecord[],
  request: ConsentRequest,
  record: RecordFacts,
): CombinedVerdict {
  const denying: string[] = [];
  const permitting: string[] = [];
  for (const consent of consents) {
    const verdict = evaluateConsent(consent, request, record);
    const ref = `Consent/${consent.id}/_history/${consent.version}`;
    if (verdict === 'deny') denying.push(ref);
    else if (verdict === 'permit') permitting.push(ref);
  }
  if (denying.length > 0) return { decision: 'deny', deciding: denying };
  if (permitting.length > 0) return { decision: 'permit', deciding: permitting };
  return { decision: 'none', deciding: [] };
}

const RECIPIENT_ROLES: ReadonlySet<string> = new Set(['IRCP', 'PRCP']);

function recipients(provision: Provision): string[] {
  return provision.actor.filter((actor) => RECIPIENT_ROLES.has(actor.role)).map((actor) => actor.reference);
}

/** Every recipient (IRCP/PRCP actor) a consent names, root and nested, sorted: the keys of the contract's index. */
export function consentRecipients(consent: ConsentRecord): string[] {
  const found = new Set<string>();
  const visit = (provision: Provision): void => {
    for (const reference of recipients(provision)) found.add(reference);
    provision.provision.forEach(visit);
  };
  visit(consent.provision);
  return [...found].sort();
}

/** No record: a provision that reads no record fact matches it exactly as it matches any record. */
const ANY_RECORD: RecordFacts = {
  recordId: '',
  resourceType: '',
  securityLabels: [],
  codes: [],
  custodian: '',
  related: [],
};

/** Whether a provision's match depends on the request only: no element that reads the record. */
function readsNoRecordFact(provision: Provision): boolean {
  return (
    provision.class.length === 0 &&
    provision.code.length === 0 &&
    provision.securityLabel.length === 0 &&
    !provision.dataPeriod &&
    provision.data.length === 0 &&
    provision.actor.every((actor) => RECIPIENT_ROLES.has(actor.role))
  );
}

function hasPermitBelow(provision: Provision): boolean {
  return provision.provision.some((child) => child.type === 'permit' || hasPermitBelow(child));
}

/**
 * Whether `provision`, wherever it matches, resolves to deny whatever the record (see `resolve`): it is a deny with no
 * permit under it, or it has a child that matches this request whatever the record and itself always resolves to deny.
 */
function deniesWhateverTheRecord(provision: Provision, request: ConsentRequest): boolean {
  if (provision.type === 'deny' && !hasPermitBelow(provision)) return true;
  return provision.provision.some(
    (child) =>
      readsNoRecordFact(child) &&
      provisionMatches(child, request, ANY_RECORD) &&
      deniesWhateverTheRecord(child, request),
  );
}

function treatmentRequest(requester: Requester, time: number): ConsentRequest {
  return { requester, action: 'access', purpose: 'TREAT', time };
}

/**
 * Whether an active consent refuses the requester every record for treatment access at `time`: an objection (or a deny
 * inside it) that names the requester, or no one, and reads no record fact. An opt-in consent's root deny is its
 * baseline, not an objection (see `evaluateConsent`), so it refuses nothing beyond itself.
 */
export function consentRefusesEverything(consent: ConsentRecord, requester: Requester, time: number): boolean {
  const root = consent.provision;
  if (consent.status !== 'active' || (consent.policyRule === 'OPTIN' && root.type === 'deny')) return false;
  const request = treatmentRequest(requester, time);
  return (
    readsNoRecordFact(root) && provisionMatches(root, request, ANY_RECORD) && deniesWhateverTheRecord(root, request)
  );
}

/**
 * Whether an active consent names the requester (their Practitioner, Organization or Group identity) as a recipient of
 * a permit for treatment access at `time`: the root permit, or a permit child under a root that applies, unless a deny
 * of the same consent that reads no record fact takes it back for this requester. It says only that the patient shares
 * something with them; each read is still decided record by record, with all the patient's consents (a caller lists
 * only patients none of whose consents `consentRefusesEverything`).
 */
export function consentSharesForTreatment(consent: ConsentRecord, requester: Requester, time: number): boolean {
  if (consent.status !== 'active') return false;
  const request = treatmentRequest(requester, time);
  const names = (provision: Provision): boolean =>
    recipients(provision).some((reference) => requester.references.includes(reference));
  const applies = (provision: Provision): boolean =>
    periodContains(provision.period, time) &&
    (recipients(provision).length === 0 || names(provision)) &&
    (provision.action.length === 0 || provision.action.includes('access')) &&
    (provision.purpose.length === 0 || purposeMatches(provision.purpose, 'TREAT'));
  const root = consent.provision;
  if (!applies(root) || deniesWhateverTheRecord(root, request)) return false;
  if (root.type === 'permit' && names(root)) return true;
  return root.provision.some(
    (child) =>
      child.type === 'permit' &&
      applies(child) &&
      (names(root) || names(child)) &&
      !deniesWhateverTheRecord(child, request),
  );
}
