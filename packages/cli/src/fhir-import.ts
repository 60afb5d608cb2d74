// Turns FHIR input (Bundles, NDJSON lines, single resources, Synthea output) into the transaction Bundles Medledger's
// `POST /fhir` accepts: POST entries of Patient and the stored record types only, at most 500 records per
// transaction, one patient's history per sequence of transactions. Unsupported resources are skipped (counted with
// the reason), references to anything not imported are cut (keeping a display, so a required Reference stays valid),
// and references between imported resources are rewritten to the entries' fullUrls; the server resolves those within
// one transaction, and `transactionBundle` resolves those to earlier transactions from what they created.
import { randomUUID } from 'node:crypto';
import { MAX_RECORDS_PER_TRANSACTION, TRANSACTION_TYPES } from '@medledger/server';
import type { Json } from './json.js';

export type { Json };

/** The resource types a Medledger transaction may POST, and how many records one may hold: the server's own. */
export const IMPORTED_TYPES: ReadonlySet<string> = TRANSACTION_TYPES;
export { MAX_RECORDS_PER_TRANSACTION };

export const NOT_STORED = 'not stored by Medledger (only Patient and clinical records are)';

/** Where each record type names its patient. */
const PATIENT_ELEMENTS = ['subject', 'patient', 'beneficiary'] as const;

/** An id the server issued: such references are kept as they are (records of a patient already on the server). */
const SERVER_REFERENCE = /^(Patient\/pt|[A-Z][A-Za-z]+\/r)-[0-9a-f]{24}$/;
const SERVER_PATIENT = /^Patient\/pt-[0-9a-f]{24}$/;

/** One resource read from the input, with the fullUrl its Bundle gave it. */
export interface SourceResource {
  readonly source: string;
  readonly fullUrl?: string;
  readonly resource: Json;
}

/** An entry ready for a transaction: its fullUrl (`key`) and the resource with its references rewritten. */
export interface PlannedEntry {
  readonly key: string;
  readonly type: string;
  readonly resource: Json;
}

/** One patient's resources as a sequence of transactions, sent in order (chunks[0] starts with a new Patient). */
export interface PatientPlan {
  readonly label: string;
  readonly chunks: readonly (readonly PlannedEntry[])[];
  readonly size: number;
}

/** What an import did: per type, imported and skipped with the reasons. */
export interface ImportSummary {
  files: number;
  imported: Record<string, number>;
  skipped: Record<string, Record<string, number>>;
  /** `Type.element → TargetType`: references cut because their target is not imported. */
  cutReferences: Record<string, number>;
  transactions: number;
  /** Unreadable files and refused transactions, one line each. */
  problems: string[];
}

export function emptySummary(): ImportSummary {
  return { files: 0, imported: {}, skipped: {}, cutReferences: {}, transactions: 0, problems: [] };
}

export function count(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

export function skip(summary: ImportSummary, type: string, reason: string, n = 1): void {
  count((summary.skipped[type] ??= {}), reason, n);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Indexed {
  readonly key: string;
  readonly type: string;
  readonly resource: Json;
  readonly source: string;
}

/** Keys, and every name an input resource may be referenced by (fullUrl, `Type/id`), with its type. */
class InputIndex {
  readonly accepted: Indexed[] = [];
  readonly #keyOf = new Map<string, string>();
  readonly #typeOf = new Map<string, string>();

  add(item: SourceResource, type: string, accepted: boolean): void {
    const names = [
      ...(item.fullUrl === undefined ? [] : [item.fullUrl]),
      ...(typeof item.resource.id === 'string' ? [`${type}/${item.resource.id}`] : []),
    ];
    for (const name of names) this.#typeOf.set(name, type);
    if (!accepted) return;
    const key =
      item.fullUrl !== undefined && /^urn:(uuid|oid):/.test(item.fullUrl) ? item.fullUrl : `urn:uuid:${randomUUID()}`;
    for (const name of [key, ...names]) this.#keyOf.set(name, key);
    this.accepted.push({ key, type, resource: item.resource, source: item.source });
  }

  /** The key of an imported resource a reference names (a full URL ending in `Type/id` counts). */
  keyOf(reference: string): string | undefined {
    return this.#keyOf.get(reference) ?? this.#keyOf.get(tail(reference));
  }

  /** The type a reference points to, for the summary of cut references. */
  typeOf(reference: string): string {
    const known = this.#typeOf.get(reference) ?? this.#typeOf.get(tail(reference));
    // `Organization?identifier=…` (conditional), `Practitioner/123`, or a full URL ending in `Type/id`.
    return known ?? /(?:^|\/)([A-Z][A-Za-z]+)(?:\/[^/]+$|\?)/.exec(reference)?.[1] ?? 'Resource';
  }
}

function tail(reference: string): string {
  return reference.split('/').slice(-2).join('/');
}

function patientReference(resource: Json): string | undefined {
  for (const element of PATIENT_ELEMENTS) {
    const value = resource[element];
    if (isObject(value) && typeof value.reference === 'string') return value.reference;
  }
  return undefined;
}

interface Group {
  readonly label: string;
  readonly patient?: Indexed;
  readonly records: Indexed[];
}

/** Groups records by patient: a Patient of the input, or one already on the server (`Patient/pt-…`). */
function groupByPatient(index: InputIndex, summary: ImportSummary): Group[] {
  const groups = new Map<string, Group>();
  for (const entry of index.accepted) {
    if (entry.type === 'Patient')
      groups.set(entry.key, { label: `${entry.source} Patient`, patient: entry, records: [] });
  }
  for (const entry of index.accepted) {
    if (entry.type === 'Patient') continue;
    const reference = patientReference(entry.resource);
    const key = reference === undefined ? undefined : index.keyOf(reference);
    const group =
      key !== undefined
        ? groups.get(key)
        : reference !== undefined && SERVER_PATIENT.test(reference)
          ? (groups.get(reference) ?? groups.set(reference, { label: reference, records: [] }).get(reference))
          : undefined;
    if (group === undefined) {
      skip(summary, entry.type, reference === undefined ? 'no patient reference' : 'its patient is not in the input');
      continue;
    }
    group.records.push(entry);
  }
  return [...groups.values()];
}

type Rewrite = { readonly reference: string } | { readonly cut: string };

/**
 * Copies `value`, passing every `reference` through `rewrite`. A cut reference keeps (or gets) a `display`, so a
 * required Reference element (Claim.provider, say) stays a valid Reference.
 */
function copyReferences(value: unknown, path: string, rewrite: (reference: string, path: string) => Rewrite): unknown {
  if (Array.isArray(value)) return value.map((item) => copyReferences(item, path, rewrite));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === 'reference' ? child : copyReferences(child, `${path}.${key}`, rewrite);
  }
  if (typeof value.reference === 'string') {
    const result = rewrite(value.reference, path);
    if ('reference' in result) out.reference = result.reference;
    else {
      delete out.reference;
      if (typeof out.display !== 'string') out.display = `${result.cut} (not imported)`;
    }
  }
  return out;
}

function planGroup(group: Group, index: InputIndex, summary: ImportSummary): PatientPlan {
  const chunkOf = new Map<string, number>();
  if (group.patient !== undefined) chunkOf.set(group.patient.key, 0);
  group.records.forEach((entry, i) => chunkOf.set(entry.key, Math.floor(i / MAX_RECORDS_PER_TRANSACTION)));
  const prepare = (entry: Indexed): PlannedEntry => {
    const here = chunkOf.get(entry.key) ?? 0;
    const rewrite = (reference: string, path: string): Rewrite => {
      if (reference.startsWith('#') || SERVER_REFERENCE.test(reference)) return { reference };
      const key = index.keyOf(reference);
      const target = key === undefined ? undefined : chunkOf.get(key);
      if (key !== undefined && target !== undefined && target <= here) return { reference: key };
      const targetType = index.typeOf(reference);
      const why = key === undefined ? '' : target === undefined ? ' (another patient)' : ' (a later transaction)';
      count(summary.cutReferences, `${path} → ${targetType}${why}`);
      return { cut: targetType };
    };
    return { key: entry.key, type: entry.type, resource: copyReferences(entry.resource, entry.type, rewrite) as Json };
  };
  const chunks: PlannedEntry[][] = [];
  for (let i = 0; i < Math.max(group.records.length, 1); i += MAX_RECORDS_PER_TRANSACTION) {
    chunks.push(group.records.slice(i, i + MAX_RECORDS_PER_TRANSACTION).map(prepare));
  }
  if (group.patient !== undefined) chunks[0]?.unshift(prepare(group.patient));
  return {
    label: group.label,
    chunks: chunks.filter((chunk) => chunk.length > 0),
    size: group.records.length + (group.patient === undefined ? 0 : 1),
  };
}

/**
 * Plans the import of `items` (resources that may reference each other: one Bundle, or a set of NDJSON files):
 * skipped resources are counted in `summary` with their reason; the rest come back grouped by patient.
 */
export function planImport(items: readonly SourceResource[], summary: ImportSummary): PatientPlan[] {
  const index = new InputIndex();
  for (const item of items) {
    const type = item.resource.resourceType;
    if (typeof type !== 'string' || !/^[A-Z][A-Za-z]+$/.test(type)) {
      skip(summary, '(no resourceType)', 'not a FHIR resource');
      continue;
    }
    const accepted = IMPORTED_TYPES.has(type);
    if (!accepted) skip(summary, type, NOT_STORED);
    index.add(item, type, accepted);
  }
  return groupByPatient(index, summary)
    .map((group) => planGroup(group, index, summary))
    .filter((plan) => plan.size > 0);
}

function resolve(value: unknown, created: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(item, created));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === 'reference' && typeof child === 'string' ? (created.get(child) ?? child) : resolve(child, created);
  }
  return out;
}

/**
 * The transaction Bundle for one chunk: references to entries created by earlier transactions (`created`: key →
 * `Type/id`) become server references; references within the chunk stay fullUrls (the server resolves them).
 */
export function transactionBundle(chunk: readonly PlannedEntry[], created: ReadonlyMap<string, string>): Json {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: chunk.map((entry) => ({
      fullUrl: entry.key,
      resource: created.size === 0 ? entry.resource : resolve(entry.resource, created),
      request: { method: 'POST', url: entry.type },
    })),
  };
}

/** Notes what a transaction-response created (key → `Type/id`) and returns how many of each type. */
export function noteCreated(
  chunk: readonly PlannedEntry[],
  response: unknown,
  created: Map<string, string>,
): Record<string, number> {
  const entries = isObject(response) && Array.isArray(response.entry) ? (response.entry as unknown[]) : [];
  const counts: Record<string, number> = {};
  chunk.forEach((entry, i) => {
    const result = entries[i];
    const answer = isObject(result) && isObject(result.response) ? result.response : {};
    const location = answer.location;
    if (typeof answer.status !== 'string' || !answer.status.startsWith('201') || typeof location !== 'string') return;
    created.set(entry.key, location.split('/').slice(0, 2).join('/'));
    count(counts, entry.type);
  });
  return counts;
}
