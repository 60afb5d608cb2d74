/** Code systems and the plain-language names the portals show for codes (FHIR-CONVENTIONS.md §0). */

export const SYSTEMS = {
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  loinc: 'http://loinc.org',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  consentAction: 'http://terminology.hl7.org/CodeSystem/consentaction',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  resourceTypes: 'http://hl7.org/fhir/resource-types',
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  auditKind: 'https://medledger.example.org/fhir/CodeSystem/audit-kind',
} as const;

export const PURPOSES: Readonly<Record<string, string>> = {
  TREAT: 'treatment',
  ETREAT: 'emergency treatment',
  HPAYMT: 'payment of claims',
  HRESCH: 'research',
  PUBHLTH: 'public health',
  HOPERAT: 'hospital operations',
  PATRQT: 'your own request',
};

/** Purposes a patient can grant in the form (public health works as an opt-out and needs no grant). */
export const GRANTABLE_PURPOSES = ['TREAT', 'HPAYMT', 'HRESCH'] as const;

export const RECORD_TYPES: ReadonlyArray<{ readonly type: string; readonly label: string }> = [
  { type: 'Observation', label: 'Vital signs and lab results' },
  { type: 'Condition', label: 'Conditions and diagnoses' },
  { type: 'MedicationRequest', label: 'Medications' },
  { type: 'AllergyIntolerance', label: 'Allergies' },
  { type: 'Immunization', label: 'Immunizations' },
  { type: 'Procedure', label: 'Procedures' },
  { type: 'Encounter', label: 'Visits' },
  { type: 'DiagnosticReport', label: 'Reports' },
  { type: 'DocumentReference', label: 'Documents and notes' },
  { type: 'Coverage', label: 'Insurance coverage' },
  { type: 'Claim', label: 'Claims' },
];

/** Sensitive categories (PCF minimum set plus SUD and SEX): never shared unless the patient ticks them. */
export const SENSITIVE_LABELS: ReadonlyArray<{ readonly code: string; readonly label: string }> = [
  { code: 'HIV', label: 'HIV/AIDS' },
  { code: 'PSY', label: 'Mental health' },
  { code: 'ETH', label: 'Substance use' },
  { code: 'ETHUD', label: 'Alcohol use disorder' },
  { code: 'OPIOIDUD', label: 'Opioid use disorder' },
  { code: 'SUD', label: 'Substance use disorder' },
  { code: 'SEX', label: 'Sexual and reproductive health' },
  { code: 'SDV', label: 'Sexual or domestic violence' },
];

export const ROLE_NAMES: Readonly<Record<string, string>> = {
  patient: 'Patient',
  clinician: 'Clinician',
  insurer: 'Insurer',
  researcher: 'Researcher',
  ethics: 'Ethics board',
  'public-health': 'Public health',
  'privacy-officer': 'Privacy officer',
  admin: 'Administrator',
};

export const ORGANIZATION_NAMES: Readonly<Record<string, string>> = {
  HospitalAMSP: 'Hospital A',
  HospitalBMSP: 'Hospital B',
  InsurerMSP: 'Insurer',
  HealthAuthorityMSP: 'Health Authority',
  ResearchMSP: 'Research Institute',
};

export function purposeName(code: string | undefined): string {
  return code === undefined ? 'an unstated purpose' : (PURPOSES[code] ?? code);
}

export function recordTypeName(type: string): string {
  return RECORD_TYPES.find((entry) => entry.type === type)?.label ?? type;
}

export function sensitiveName(code: string): string {
  return SENSITIVE_LABELS.find((entry) => entry.code === code)?.label ?? code;
}

export function organizationName(mspId: string): string {
  return ORGANIZATION_NAMES[mspId] ?? mspId;
}

/** A reference the ledger uses (`Practitioner/dr.house`, `Organization/HospitalBMSP`, `Group/HospitalBMSP-clinician`). */
export function referenceName(reference: string, names: ReadonlyMap<string, string> = new Map()): string {
  const known = names.get(reference);
  if (known !== undefined) return known;
  const [type = '', id = ''] = reference.split('/');
  if (type === 'Organization') return organizationName(id);
  if (type === 'Group') {
    const [mspId = '', role = ''] = id.split(/-(.*)/s);
    return `all ${(ROLE_NAMES[role] ?? role).toLowerCase()}s at ${organizationName(mspId)}`;
  }
  if (type === 'Patient') return 'the patient';
  return id === '' ? reference : id;
}

/** "1 March 2026" — dates are shown in words so that no reader mixes up day and month. */
export function formatDate(value: string | undefined): string {
  if (value === undefined || value === '') return 'unknown date';
  const date = new Date(value.length === 10 ? `${value}T12:00:00Z` : value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export function formatDateTime(value: string | undefined): string {
  if (value === undefined) return 'unknown time';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Joins words as a person would: "a", "a and b", "a, b and c". */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}
