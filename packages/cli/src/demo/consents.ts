// The consent shapes of FHIR-CONVENTIONS §1.1 that the demo records: (a) opt-in of a role at an organisation for a
// few types, (b) one practitioner with a nested deny on sensitive labels, (c) research opt-in for a study's types,
// (d) payment access for the insurer, (e) an opt-out. Built here, not through `consent grant`, because grant writes
// only the opt-in and opt-out patterns.
import type { Json } from '../json.js';
import { SYSTEM } from '../code-systems.js';

/** The kinds of consent the demo records, as its summary counts them. */
export type DemoConsentKind = 'treatment' | 'treatment-except-sensitive' | 'payment' | 'research' | 'opt-out';

interface Rule {
  readonly actor: string;
  readonly purpose: string;
  readonly action?: string;
  readonly types?: readonly string[];
  readonly until?: string;
}

function provision(type: 'permit' | 'deny', rule: Rule): Json {
  return {
    type,
    ...(rule.until === undefined ? {} : { period: { end: rule.until } }),
    actor: [
      {
        role: { coding: [{ system: SYSTEM.participationType, code: 'IRCP' }] },
        reference: { reference: rule.actor },
      },
    ],
    action: [{ coding: [{ system: SYSTEM.consentAction, code: rule.action ?? 'access' }] }],
    purpose: [{ system: SYSTEM.actReason, code: rule.purpose }],
    ...(rule.types === undefined ? {} : { class: rule.types.map((code) => ({ system: SYSTEM.resourceTypes, code })) }),
  };
}

function envelope(patient: string, policy: 'OPTIN' | 'OPTOUT', body: Json): Json {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: SYSTEM.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: SYSTEM.loinc, code: '59284-0' }] }],
    patient: { reference: patient },
    policyRule: { coding: [{ system: SYSTEM.actCode, code: policy }] },
    provision: body,
  };
}

const SENSITIVE = [
  { system: SYSTEM.actCode, code: 'HIV' },
  { system: SYSTEM.actCode, code: 'PSY' },
  { system: SYSTEM.actCode, code: 'SUD' },
  { system: SYSTEM.confidentiality, code: 'R' },
];

/** (a) Base deny with one nested permit: `actor` may read `types` for treatment until a date. */
export function treatmentConsent(patient: string, actor: string, types?: readonly string[], until?: string): Json {
  return envelope(patient, 'OPTIN', {
    type: 'deny',
    provision: [
      provision('permit', {
        actor,
        purpose: 'TREAT',
        ...(types === undefined ? {} : { types }),
        ...(until === undefined ? {} : { until }),
      }),
    ],
  });
}

/** (b) One practitioner may see everything for treatment except sensitive categories (HIV, mental health…). */
export function treatmentExceptSensitiveConsent(patient: string, practitioner: string): Json {
  return envelope(patient, 'OPTIN', {
    ...provision('permit', { actor: practitioner, purpose: 'TREAT' }),
    provision: [{ type: 'deny', securityLabel: SENSITIVE }],
  });
}

/** (c) Research use of `types` by the research organisation, restricted data excluded. */
export function researchConsent(patient: string, types: readonly string[], until: string): Json {
  return envelope(patient, 'OPTIN', {
    type: 'deny',
    provision: [
      provision('permit', { actor: 'Organization/ResearchMSP', purpose: 'HRESCH', action: 'use', types, until }),
      { type: 'deny', securityLabel: [{ system: SYSTEM.confidentiality, code: 'R' }] },
    ],
  });
}

/** (d) The insurer may read claims, coverage and encounters for payment. */
export function paymentConsent(patient: string): Json {
  return envelope(patient, 'OPTIN', {
    type: 'deny',
    provision: [
      provision('permit', {
        actor: 'Organization/InsurerMSP',
        purpose: 'HPAYMT',
        types: ['Claim', 'Coverage', 'Encounter', 'Procedure'],
      }),
    ],
  });
}

/** (e) An opt-out: the research organisation may not use anything (deny wins over any permit). */
export function researchOptOut(patient: string): Json {
  return envelope(patient, 'OPTOUT', {
    ...provision('deny', { actor: 'Organization/ResearchMSP', purpose: 'HRESCH', action: 'use' }),
  });
}
