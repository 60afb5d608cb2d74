import type { AuditEvent, CodeableConcept, Resource } from '@medplum/fhirtypes';
import { SYSTEMS, purposeName, referenceName } from './codes.js';

/** One record on the patient's (or a chart's) timeline. */
export interface TimelineItem {
  readonly key: string;
  readonly type: string;
  readonly id: string;
  readonly category: string;
  readonly title: string;
  readonly detail: string;
  readonly date: string | undefined;
  readonly sensitive: boolean;
  readonly custodian: string | undefined;
}

export interface TimelineGroup {
  readonly category: string;
  readonly items: readonly TimelineItem[];
}

type Loose = Record<string, unknown>;

function conceptText(concept: CodeableConcept | undefined): string | undefined {
  if (concept === undefined) return undefined;
  return concept.text ?? concept.coding?.find((c) => c.display !== undefined)?.display ?? concept.coding?.[0]?.code;
}

const CATEGORY_BY_TYPE: Readonly<Record<string, string>> = {
  Condition: 'Conditions',
  MedicationRequest: 'Medications',
  AllergyIntolerance: 'Allergies',
  Immunization: 'Immunizations',
  Procedure: 'Procedures',
  Encounter: 'Visits',
  DiagnosticReport: 'Reports',
  DocumentReference: 'Documents and notes',
  Coverage: 'Insurance and claims',
  Claim: 'Insurance and claims',
  Binary: 'Documents and notes',
};

const OBSERVATION_CATEGORIES: Readonly<Record<string, string>> = {
  'vital-signs': 'Vital signs',
  laboratory: 'Lab results',
  imaging: 'Imaging',
  'social-history': 'Social history',
  survey: 'Questionnaires',
};

/** The category a person would look under. Observations split by their FHIR category (vital signs, labs, …). */
export function categoryOf(resource: Resource): string {
  if (resource.resourceType === 'Observation') {
    const code = resource.category?.[0]?.coding?.[0]?.code ?? '';
    return OBSERVATION_CATEGORIES[code] ?? 'Other observations';
  }
  return CATEGORY_BY_TYPE[resource.resourceType] ?? 'Other records';
}

/** The clinical date: effective/onset/occurrence/authored/period/issued, else when it was stored. */
export function clinicalDate(resource: Resource): string | undefined {
  const loose = resource as unknown as Loose;
  for (const key of [
    'effectiveDateTime',
    'onsetDateTime',
    'occurrenceDateTime',
    'authoredOn',
    'recordedDate',
    'issued',
    'date',
    'created',
  ]) {
    const value = loose[key];
    if (typeof value === 'string') return value;
  }
  for (const key of ['effectivePeriod', 'period', 'billablePeriod']) {
    const value = loose[key] as { start?: string } | undefined;
    if (value?.start !== undefined) return value.start;
  }
  return resource.meta?.lastUpdated;
}

function quantityText(value: unknown): string | undefined {
  const quantity = value as { value?: number; unit?: string; code?: string } | undefined;
  if (quantity?.value === undefined) return undefined;
  return `${quantity.value} ${quantity.unit ?? quantity.code ?? ''}`.trim();
}

type Describe = (resource: Resource) => string | undefined;

const TITLES: Readonly<Record<string, Describe>> = {
  MedicationRequest: (r) =>
    r.resourceType === 'MedicationRequest' ? conceptText(r.medicationCodeableConcept) : undefined,
  Immunization: (r) => (r.resourceType === 'Immunization' ? conceptText(r.vaccineCode) : undefined),
  Encounter: (r) => (r.resourceType === 'Encounter' ? conceptText(r.type?.[0]) : undefined),
  DocumentReference: (r) =>
    r.resourceType === 'DocumentReference' ? (r.description ?? conceptText(r.type)) : undefined,
  Coverage: (r) => (r.resourceType === 'Coverage' ? conceptText(r.type) : undefined),
};

function titleOf(resource: Resource): string {
  const special = TITLES[resource.resourceType];
  const code = (resource as unknown as Loose).code as CodeableConcept | undefined;
  return (special === undefined ? conceptText(code) : special(resource)) ?? resource.resourceType;
}

function observationDetail(resource: Resource): string | undefined {
  if (resource.resourceType !== 'Observation') return undefined;
  return quantityText(resource.valueQuantity) ?? resource.valueString ?? conceptText(resource.valueCodeableConcept);
}

const DETAILS: Readonly<Record<string, Describe>> = {
  Observation: observationDetail,
  Condition: (r) => (r.resourceType === 'Condition' ? conceptText(r.clinicalStatus) : undefined),
  AllergyIntolerance: (r) =>
    r.resourceType === 'AllergyIntolerance'
      ? (conceptText(r.reaction?.[0]?.manifestation[0]) ?? r.criticality)
      : undefined,
  MedicationRequest: (r) =>
    r.resourceType === 'MedicationRequest' ? (r.dosageInstruction?.[0]?.text ?? r.status) : undefined,
};

function detailOf(resource: Resource): string {
  const special = DETAILS[resource.resourceType];
  const status = (resource as unknown as { status?: string }).status;
  return (special === undefined ? status : special(resource)) ?? '';
}

const SENSITIVITY_SYSTEM = SYSTEMS.actCode;

export function toTimelineItem(resource: Resource): TimelineItem {
  const security = resource.meta?.security ?? [];
  const sensitive = security.some(
    (c) =>
      c.system === SENSITIVITY_SYSTEM || (c.system === SYSTEMS.confidentiality && ['R', 'V'].includes(c.code ?? '')),
  );
  const source = resource.meta?.source;
  return {
    key: `${resource.resourceType}/${resource.id ?? ''}`,
    type: resource.resourceType,
    id: resource.id ?? '',
    category: categoryOf(resource),
    title: titleOf(resource),
    detail: detailOf(resource),
    date: clinicalDate(resource),
    sensitive,
    custodian: source,
  };
}

/** A category as an id fragment: Mantine builds element ids (and aria-controls) from an accordion item's value. */
export function categoryKey(category: string): string {
  return category.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** Records grouped by category (categories A–Z), newest first inside each group; Patient resources are left out. */
export function groupTimeline(resources: readonly Resource[]): TimelineGroup[] {
  const groups = new Map<string, TimelineItem[]>();
  for (const resource of resources) {
    if (resource.resourceType === 'Patient' || resource.resourceType === 'OperationOutcome') continue;
    const item = toTimelineItem(resource);
    const list = groups.get(item.category) ?? [];
    list.push(item);
    groups.set(item.category, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, items]) => ({
      category,
      items: [...items].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '')),
    }));
}

/** One line of an access log. */
export interface AccessLogEntry {
  readonly id: string;
  readonly when: string;
  readonly who: string;
  readonly whoName: string;
  readonly organization: string;
  readonly role: string;
  readonly kind: string;
  readonly what: string;
  readonly purpose: string;
  readonly outcome: 'permitted' | 'partly withheld' | 'refused' | 'failed';
  readonly emergency: boolean;
  readonly records: number;
  readonly patient: string;
}

const OUTCOMES: Readonly<Record<string, AccessLogEntry['outcome']>> = {
  '0': 'permitted',
  '4': 'partly withheld',
  '8': 'refused',
  '12': 'failed',
};

const KIND_WORDS: Readonly<Record<string, string>> = {
  read: 'opened a record',
  search: 'looked through records',
  'access-denied': 'tried to see records',
  'break-glass-start': 'used emergency access (break-glass)',
  'break-glass-end': 'ended an emergency access',
  'emergency-review': 'reviewed an emergency access',
  'consent-create': 'granted access',
  'consent-update': 'changed a consent',
  'access-request': 'asked for access',
  'access-response': 'answered an access request',
  'record-create': 'added a record',
  'record-erase': 'erased a record',
  'research-use': 'used data for research',
  'public-health-use': 'used data for public health',
};

function outcomeOf(event: AuditEvent): AccessLogEntry['outcome'] {
  return OUTCOMES[event.outcome ?? '0'] ?? 'failed';
}

function kindOf(event: AuditEvent): string {
  return event.meta?.tag?.find((tag) => tag.system === SYSTEMS.auditKind)?.code ?? 'event';
}

function entityCount(event: AuditEvent, type: string): number {
  return (event.entity ?? []).filter((entity) => entity.type?.code === type).length;
}

function patientOf(event: AuditEvent): string {
  return (event.entity ?? []).find((entity) => entity.type?.code === '1')?.what?.reference ?? '';
}

function roleCodeOf(agent: AuditEvent['agent'][number] | undefined): string {
  return agent?.role?.[0]?.coding?.[0]?.code ?? '';
}

function agentsOf(event: AuditEvent): { who: string; organization: string; role: string } {
  const user = event.agent.find((agent) => agent.requestor);
  const org = event.agent.find((agent) => !agent.requestor);
  return {
    who: user?.who?.reference ?? 'unknown',
    organization: referenceName(org?.who?.reference ?? ''),
    role: roleCodeOf(user),
  };
}

export function toAccessLogEntry(event: AuditEvent, names: ReadonlyMap<string, string> = new Map()): AccessLogEntry {
  const { who, organization, role } = agentsOf(event);
  const kind = kindOf(event);
  const purpose = event.purposeOfEvent?.[0]?.coding?.[0]?.code;
  return {
    id: event.id ?? '',
    when: event.recorded,
    who,
    whoName: referenceName(who, names),
    organization,
    role,
    kind,
    what: KIND_WORDS[kind] ?? kind,
    purpose: purposeName(purpose),
    outcome: outcomeOf(event),
    emergency: kind === 'break-glass-start' || purpose === 'ETREAT',
    records: entityCount(event, '2'),
    patient: patientOf(event),
  };
}

export interface AccessLogFilter {
  /** Matches the person's reference or name, case-insensitively. */
  readonly who?: string;
  /** `YYYY-MM-DD`, inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly emergencyOnly?: boolean;
}

export function filterAccessLog(entries: readonly AccessLogEntry[], filter: AccessLogFilter): AccessLogEntry[] {
  const who = filter.who?.trim().toLowerCase() ?? '';
  return entries.filter(
    (entry) =>
      (who === '' || entry.who.toLowerCase().includes(who) || entry.whoName.toLowerCase().includes(who)) &&
      (filter.from === undefined || filter.from === '' || entry.when.slice(0, 10) >= filter.from) &&
      (filter.to === undefined || filter.to === '' || entry.when.slice(0, 10) <= filter.to) &&
      (filter.emergencyOnly !== true || entry.emergency),
  );
}

function csvCell(value: string | number | boolean): string {
  const text = String(value);
  // A leading = + - @ would be run as a formula by spreadsheet programs.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The access log as CSV (RFC 4180), for the privacy officer's export. */
export function accessLogCsv(entries: readonly AccessLogEntry[]): string {
  const header = [
    'recorded',
    'who',
    'organisation',
    'role',
    'event',
    'purpose',
    'outcome',
    'emergency',
    'records',
    'patient',
  ];
  const rows = entries.map((e) =>
    [e.when, e.who, e.organization, e.role, e.kind, e.purpose, e.outcome, e.emergency, e.records, e.patient]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...rows].join('\r\n') + '\r\n';
}
