/**
 * Fixtures shared by the core tests: the FHIR-CONVENTIONS §1.1 example consents, verbatim and normalized, and builders
 * for the provisions, consents, requesters and record facts the tests evaluate.
 */
import type { Role } from '../codes.js';
import { requesterReferences } from '../consent-evaluation.js';
import type { RecordFacts, Requester } from '../consent-evaluation.js';
import type { Coding, ConsentRecord, Provision } from '../consent-model.js';

export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const CONSENT_CATEGORY = 'http://terminology.hl7.org/CodeSystem/consentcategorycodes';
export const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
export const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const RESOURCE_TYPES = 'http://hl7.org/fhir/resource-types';

/** A sensitivity label (v3-ActCode). */
export const sens = (code: string): Coding => ({ system: ACT_CODE, code });
/** A confidentiality label (v3-Confidentiality). */
export const conf = (code: string): Coding => ({ system: CONFIDENTIALITY, code });

/** An id of the ledger's form: a type prefix and 24 hex digits (here a short hex label, zero-padded). */
export const ledgerId = (prefix: string, hex: string): string => `${prefix}-${hex.padStart(24, '0')}`;

// ---------------------------------------------------------------------------------------------------------------
// FHIR-CONVENTIONS §1.1, copied verbatim from the document: the shared envelope and the six provisions.
// ---------------------------------------------------------------------------------------------------------------

export const ENVELOPE_JSON = `{"resourceType": "Consent", "id": "c-001", "status": "active",
 "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
 "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
 "patient": {"reference": "Patient/p-7f3a"}, "dateTime": "2025-03-01T10:00:00Z",
 "performer": [{"reference": "Patient/p-7f3a"}], "organization": [{"reference": "Organization/HospitalAMSP"}],
 "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
 "provision": {}}`;

export const PROVISION_A = `{"type": "deny", "provision": [{"type": "permit", "period": {"end": "2025-12-31"},
  "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"reference": "Group/HospitalBMSP-clinician"}}],
  "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"}]}],
  "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}],
  "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Observation"}]}]}`;

export const PROVISION_B = `{"type": "permit",
  "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"reference": "Practitioner/dr-lee"}}],
  "provision": [{"type": "deny", "securityLabel": [
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HIV"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SUD"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SEX"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SDV"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]}]}`;

export const PROVISION_C = `{"type": "deny", "provision": [
  {"type": "permit", "period": {"start": "2025-03-01", "end": "2030-02-28"}, "dataPeriod": {"start": "2018-01-01"},
   "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
              "reference": {"reference": "Organization/ResearchMSP"}}],
   "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "use"}]}],
   "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}],
   "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Observation"},
             {"system": "http://hl7.org/fhir/resource-types", "code": "Condition"},
             {"system": "http://hl7.org/fhir/resource-types", "code": "MedicationStatement"}]},
  {"type": "deny", "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]}]}`;

export const PROVISION_D = `{"type": "deny", "provision": [{"type": "permit",
  "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"reference": "Organization/InsurerMSP"}}],
  "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"}]}],
  "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HPAYMT"}],
  "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Claim"},
            {"system": "http://hl7.org/fhir/resource-types", "code": "Coverage"},
            {"system": "http://hl7.org/fhir/resource-types", "code": "Encounter"},
            {"system": "http://hl7.org/fhir/resource-types", "code": "Procedure"}]}]}`;

export const PROVISION_E = `{"type": "deny",
  "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"reference": "Organization/HospitalAMSP"}}],
  "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]}`;

export const PATCH_F = `[{"op": "replace", "path": "/status", "value": "inactive"}]`;

// ---------------------------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------------------------

/** A provision in normalized form with every array empty, overridden by `parts`. */
export function prov(type: 'permit' | 'deny', parts: Partial<Provision> = {}): Provision {
  return {
    type,
    actor: [],
    action: [],
    purpose: [],
    class: [],
    code: [],
    securityLabel: [],
    data: [],
    provision: [],
    ...parts,
  };
}

/** A provision actor in the recipient role. */
export const ircp = (reference: string): Provision['actor'][number] => ({ role: 'IRCP', reference });

/** A consent version as the ledger stores it, given by patient p-7f3a at HospitalA. */
export function stored(
  id: string,
  provision: Provision,
  policyRule: 'OPTIN' | 'OPTOUT',
  status: ConsentRecord['status'] = 'active',
  version = 1,
): ConsentRecord {
  return {
    id,
    version,
    patientId: 'p-7f3a',
    status,
    policyRule,
    dateTime: '2025-03-01T10:00:00Z',
    performer: 'Patient/p-7f3a',
    organization: 'HospitalAMSP',
    provision,
    txId: `tx-${id}`,
  };
}

/** A requester with the references the contract gives them. */
export function who(mspId: string, role: Role, uid: string, patientId?: string): Requester {
  return { mspId, role, uid, references: requesterReferences(mspId, role, uid, patientId) };
}

export const DR_A = who('HospitalAMSP', 'clinician', 'dr-a');
export const DR_B = who('HospitalBMSP', 'clinician', 'dr-b');
export const INSURER = who('InsurerMSP', 'insurer', 'ins-1');
export const RESEARCHER = who('ResearchMSP', 'researcher', 'res-1');

/** A HospitalA lab Observation written by dr-a, without labels or codes, overridden by `parts`. */
export function fact(parts: Partial<RecordFacts> = {}): RecordFacts {
  return {
    recordId: 'o-55',
    resourceType: 'Observation',
    securityLabels: [],
    codes: [],
    clinicalDate: '2024-11-02',
    custodian: 'HospitalAMSP',
    author: 'Practitioner/dr-a',
    related: [],
    ...parts,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The §1.1 examples (a) to (e) in the normalized form the parser gives them
// ---------------------------------------------------------------------------------------------------------------

export type ExampleName = 'a' | 'b' | 'c' | 'd' | 'e';

export const NORMALIZED_EXAMPLES: Record<ExampleName, { policyRule: 'OPTIN' | 'OPTOUT'; provision: Provision }> = {
  a: {
    policyRule: 'OPTIN',
    provision: prov('deny', {
      provision: [
        prov('permit', {
          period: { end: '2025-12-31' },
          actor: [ircp('Group/HospitalBMSP-clinician')],
          action: ['access'],
          purpose: ['TREAT'],
          class: ['Observation'],
        }),
      ],
    }),
  },
  b: {
    policyRule: 'OPTIN',
    provision: prov('permit', {
      actor: [ircp('Practitioner/dr-lee')],
      provision: [
        prov('deny', {
          // sorted by system, then code: v3-ActCode before v3-Confidentiality
          securityLabel: [sens('ETH'), sens('HIV'), sens('PSY'), sens('SDV'), sens('SEX'), sens('SUD'), conf('R')],
        }),
      ],
    }),
  },
  c: {
    policyRule: 'OPTIN',
    provision: prov('deny', {
      provision: [
        prov('permit', {
          period: { start: '2025-03-01', end: '2030-02-28' },
          dataPeriod: { start: '2018-01-01' },
          actor: [ircp('Organization/ResearchMSP')],
          action: ['use'],
          purpose: ['HRESCH'],
          class: ['Condition', 'MedicationStatement', 'Observation'],
        }),
        prov('deny', { securityLabel: [conf('R')] }),
      ],
    }),
  },
  d: {
    policyRule: 'OPTIN',
    provision: prov('deny', {
      provision: [
        prov('permit', {
          actor: [ircp('Organization/InsurerMSP')],
          action: ['access'],
          purpose: ['HPAYMT'],
          class: ['Claim', 'Coverage', 'Encounter', 'Procedure'],
        }),
      ],
    }),
  },
  e: {
    policyRule: 'OPTOUT',
    provision: prov('deny', {
      actor: [ircp('Organization/HospitalAMSP')],
      purpose: ['TREAT'],
    }),
  },
};

/** Example `name` as the ledger stores it (consent id `c-<name>`, version 1). */
export function exampleConsent(name: ExampleName): ConsentRecord {
  const { provision, policyRule } = NORMALIZED_EXAMPLES[name];
  return stored(`c-${name}`, provision, policyRule);
}
