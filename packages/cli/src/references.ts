import type { Context } from './context.js';
import { usageError } from './errors.js';

/** `GET /api/whoami`. */
export interface WhoAmI {
  readonly username: string;
  readonly displayName: string;
  readonly organization: string;
  readonly role: string;
  readonly defaultPurpose: string;
  readonly patient?: string;
  readonly demo: boolean;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** The ledger's pseudonymous patient ids; anything else (a name, an MRN) is a usage error, caught before a request. */
const PATIENT_ID = /^pt-[0-9a-f]{24}$/;

/** `Type/id` from `Type/id` (or a bare id when `type` is given); exit 2 on anything else. */
export function reference(text: string, type?: string): string {
  const trimmed = text.trim();
  const [first = '', second, ...rest] = trimmed.split('/');
  const [kind, id] = second === undefined ? [type, first] : [first, second];
  if (kind === undefined || !/^[A-Z][A-Za-z]+$/.test(kind) || !FHIR_ID.test(id) || rest.length > 0) {
    throw usageError(`expected ${type === undefined ? 'Type/id' : `${type}/id`}, got ${JSON.stringify(text)}`);
  }
  if (type !== undefined && kind !== type) {
    throw usageError(`expected a ${type} reference, got ${JSON.stringify(text)}`);
  }
  if (kind === 'Patient' && !PATIENT_ID.test(id)) {
    throw usageError(`not a Medledger patient id: ${JSON.stringify(text)} (expected Patient/pt- and 24 hex digits)`);
  }
  return `${kind}/${id}`;
}

/** The patient a command is about: the given reference, else the signed-in patient themself. */
export async function patientOrSelf(ctx: Context, given: string | undefined): Promise<string> {
  if (given !== undefined) return reference(given, 'Patient');
  const me = await (await ctx.api()).get<WhoAmI>('/api/whoami');
  if (me.patient === undefined) {
    throw usageError(`${me.username} is not a patient: name the patient (Patient/pt-…)`);
  }
  return me.patient;
}

/** `YYYY`, `YYYY-MM-DD` or an ISO date-time, as FHIR dates; exit 2 otherwise. */
export function fhirDate(text: string, option: string): string {
  const ok =
    /^\d{4}(-\d{2}(-\d{2})?)?$/.test(text) ||
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  if (!ok || Number.isNaN(Date.parse(text.length === 4 ? `${text}-01-01` : text))) {
    throw usageError(`${option} must be a date such as 2026-12-31 (got ${JSON.stringify(text)})`);
  }
  return text;
}

/** A resource type name, as the server spells it. */
export function resourceTypes(types: readonly string[], option: string): string[] {
  for (const type of types) {
    if (!/^[A-Z][A-Za-z]+$/.test(type)) throw usageError(`${option}: ${JSON.stringify(type)} is not a resource type`);
  }
  return [...types];
}
