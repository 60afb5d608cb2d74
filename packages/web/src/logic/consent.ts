import type { Consent, ConsentProvision } from '@medplum/fhirtypes';
import {
  GRANTABLE_PURPOSES,
  SENSITIVE_LABELS,
  SYSTEMS,
  formatDate,
  listInWords,
  purposeName,
  recordTypeName,
  referenceName,
  sensitiveName,
} from './codes.js';

/** What the patient filled in on the grant form. */
export interface ConsentDraft {
  /** `Practitioner/{uid}`, `Organization/{MSP}` or `Group/{MSP}-{role}`. */
  readonly actor: string | undefined;
  readonly actorName: string | undefined;
  readonly resourceTypes: readonly string[];
  /** Sensitive labels the patient chose to include (off by default). */
  readonly sensitive: readonly string[];
  readonly purpose: string;
  /** Last day of the grant, `YYYY-MM-DD`. */
  readonly until: string | undefined;
}

export const EMPTY_DRAFT: ConsentDraft = {
  actor: undefined,
  actorName: undefined,
  resourceTypes: [],
  sensitive: [],
  purpose: 'TREAT',
  until: undefined,
};

/** Problems that stop the form from being saved, in the order the fields appear; empty when it may be saved. */
export function draftProblems(draft: ConsentDraft, today: string): string[] {
  const problems: string[] = [];
  if (draft.actor === undefined) problems.push('Choose who may see your data.');
  if (draft.resourceTypes.length === 0) problems.push('Choose at least one kind of record.');
  if (!(GRANTABLE_PURPOSES as readonly string[]).includes(draft.purpose)) problems.push('Choose a purpose.');
  if (draft.until === undefined || draft.until === '') problems.push('Choose the last day of access.');
  else if (draft.until < today) problems.push('The last day of access must not be in the past.');
  return problems;
}

/** The research purpose uses data (`use`); every other grant lets the recipient look at records (`access`). */
function actionFor(purpose: string): string {
  return purpose === 'HRESCH' ? 'use' : 'access';
}

/**
 * The FHIR Consent for a draft, in the shape the contract writes for an approved request (consent-evaluation.md §7):
 * OPTIN, a root deny, one permit child for the recipient, and a deny child for every sensitive label not included
 * (plus confidentiality `R` when none is included, so that all restricted data stays out).
 */
export function buildConsent(draft: ConsentDraft, patientReference: string): Consent {
  if (draft.actor === undefined) throw new Error('a consent needs a recipient');
  const excluded: Array<{ system: string; code: string }> = SENSITIVE_LABELS.filter(
    ({ code }) => !draft.sensitive.includes(code),
  ).map(({ code }) => ({
    system: SYSTEMS.actCode,
    code,
  }));
  if (draft.sensitive.length === 0) excluded.push({ system: SYSTEMS.confidentiality, code: 'R' });
  const permit: ConsentProvision = {
    type: 'permit',
    ...(draft.until === undefined ? {} : { period: { end: draft.until } }),
    actor: [
      {
        role: { coding: [{ system: SYSTEMS.participationType, code: 'IRCP' }] },
        reference: { reference: draft.actor },
      },
    ],
    action: [{ coding: [{ system: SYSTEMS.consentAction, code: actionFor(draft.purpose) }] }],
    purpose: [{ system: SYSTEMS.actReason, code: draft.purpose }],
    class: draft.resourceTypes.map((code) => ({ system: SYSTEMS.resourceTypes, code })),
  };
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: SYSTEMS.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: SYSTEMS.loinc, code: '59284-0' }] }],
    patient: { reference: patientReference },
    policyRule: { coding: [{ system: SYSTEMS.actCode, code: 'OPTIN' }] },
    provision: {
      type: 'deny',
      provision: [permit, ...(excluded.length > 0 ? [{ type: 'deny' as const, securityLabel: excluded }] : [])],
    },
  };
}

/** One permit of a consent, in words. */
export interface GrantInWords {
  readonly who: string;
  readonly what: string;
  readonly why: string;
  readonly until: string;
  readonly sensitive: string;
  /** The whole sentence. */
  readonly sentence: string;
}

function sensitiveSentence(included: readonly string[]): string {
  if (included.length === 0) return 'Sensitive information (such as HIV, mental health or substance use) stays hidden.';
  const hidden = SENSITIVE_LABELS.filter(({ code }) => !included.includes(code)).map(({ code }) => sensitiveName(code));
  const shared = `Sensitive information shared: ${listInWords(included.map(sensitiveName))}.`;
  return hidden.length === 0 ? shared : `${shared} Still hidden: ${listInWords(hidden)}.`;
}

function inWords(
  who: string,
  types: readonly string[],
  purpose: string | undefined,
  end: string | undefined,
  included: readonly string[],
): GrantInWords {
  const what = types.length === 0 ? 'all your records' : `your ${listInWords(types.map(recordTypeName)).toLowerCase()}`;
  const why = purposeName(purpose);
  const until = end === undefined ? 'until you revoke it' : `until ${formatDate(end)}`;
  const sensitive = sensitiveSentence(included);
  const capitalised = who.charAt(0).toUpperCase() + who.slice(1);
  return {
    who,
    what,
    why,
    until,
    sensitive,
    sentence: `${capitalised} may see ${what} for ${why} ${until}. ${sensitive}`,
  };
}

/** The preview shown before saving. */
export function describeDraft(draft: ConsentDraft): GrantInWords {
  return inWords(
    draft.actorName ?? (draft.actor === undefined ? 'nobody yet' : referenceName(draft.actor)),
    draft.resourceTypes,
    draft.purpose,
    draft.until,
    draft.sensitive,
  );
}

function includedLabels(children: readonly ConsentProvision[]): string[] {
  const denied = new Set(
    children
      .filter((child) => child.type === 'deny')
      .flatMap((child) => child.securityLabel ?? [])
      .map((coding) => coding.code ?? ''),
  );
  return SENSITIVE_LABELS.map(({ code }) => code).filter((code) => !denied.has(code));
}

/** Every permit of a stored consent, in words (a consent written elsewhere may have several). */
export function describeConsent(consent: Consent, names: ReadonlyMap<string, string> = new Map()): GrantInWords[] {
  const children = consent.provision?.provision ?? [];
  const included = includedLabels(children);
  return children
    .filter((child) => child.type === 'permit')
    .map((permit) => {
      const actors = (permit.actor ?? []).map((actor) => referenceName(actor.reference.reference ?? '', names));
      return inWords(
        actors.length === 0 ? 'anyone' : listInWords(actors),
        (permit.class ?? []).map((coding) => coding.code ?? ''),
        permit.purpose?.[0]?.code,
        permit.period?.end,
        included,
      );
    });
}
