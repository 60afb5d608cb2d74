// Turns Synthea R4 transaction Bundles into the transaction Bundles Medledger's `POST /fhir` accepts: only POST
// entries of Patient and the stored record types, at most 500 records per transaction. Unsupported entries are
// dropped, references to them are cut (keeping a display so required elements stay valid), and a patient whose
// history needs several transactions has the Patient in the first one; later ones reference what earlier ones
// created, resolved from their transaction-responses at send time (`resolveChunk`).

type Json = Record<string, unknown>;

/** The resource types a Medledger transaction may POST (Patient and the clinical record types, Binary excepted). */
export const IMPORTED_TYPES: ReadonlySet<string> = new Set([
  'Patient',
  'Encounter',
  'Observation',
  'Condition',
  'Procedure',
  'MedicationRequest',
  'AllergyIntolerance',
  'Immunization',
  'DiagnosticReport',
  'DocumentReference',
  'Coverage',
  'Claim',
]);

/** RegisterRecords' limit: records (not counting the Patient) per transaction. */
export const MAX_RECORDS_PER_TRANSACTION = 500;

export interface ChunkEntry {
  readonly fullUrl: string;
  readonly type: string;
  readonly resource: Json;
}

/** One patient's history as a sequence of transactions, sent in order. */
export interface PreparedPatient {
  readonly source: string;
  /** chunks[0] starts with the Patient. */
  readonly chunks: readonly (readonly ChunkEntry[])[];
  /** Resources the server will create (Patient included). */
  readonly resources: number;
}

/** What the transformation kept and dropped, and why. */
export interface ImportStats {
  bundles: number;
  entries: number;
  kept: Record<string, number>;
  dropped: Record<string, number>;
  /** `Type.element → TargetType`: references cut because their target is not imported. */
  cutReferences: Record<string, number>;
  /** References to a kept entry that sits in a later transaction of the same patient (cut too). */
  forwardReferences: number;
  transactions: number;
}

export function emptyStats(): ImportStats {
  return { bundles: 0, entries: 0, kept: {}, dropped: {}, cutReferences: {}, forwardReferences: 0, transactions: 0 };
}

function add(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface RawEntry {
  readonly fullUrl: string;
  readonly type: string;
  readonly resource: Json;
}

function entriesOf(bundle: unknown, source: string): RawEntry[] {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    throw new Error(`${source}: not a FHIR Bundle with entries`);
  }
  return bundle.entry.map((raw: unknown, i): RawEntry => {
    const entry = isObject(raw) ? raw : {};
    const resource = entry.resource;
    const type = isObject(resource) ? resource.resourceType : undefined;
    if (!isObject(resource) || typeof type !== 'string') throw new Error(`${source}: entry ${i} has no resource`);
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : `urn:entry:${i}`;
    return { fullUrl, type, resource };
  });
}

/**
 * Copies `value`, cutting every `reference` that `keep` refuses. A cut reference keeps (or gets) a `display`, so a
 * required Reference element (Claim.provider, say) stays a valid Reference.
 */
function copyReferences(
  value: unknown,
  path: string,
  keep: (reference: string, path: string) => string | undefined,
): unknown {
  if (Array.isArray(value)) return value.map((item) => copyReferences(item, path, keep));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === 'reference' ? child : copyReferences(child, `${path}.${key}`, keep);
  }
  if (typeof value.reference === 'string') {
    const cutTarget = keep(value.reference, path);
    if (cutTarget !== undefined) {
      delete out.reference;
      if (typeof out.display !== 'string') out.display = `${cutTarget} (not imported)`;
    }
  }
  return out;
}

/** Prepares one Synthea Bundle; `stats` accumulates over calls. */
export function preparePatient(bundle: unknown, source: string, stats: ImportStats): PreparedPatient {
  const entries = entriesOf(bundle, source);
  const typeOf = new Map(entries.map((e) => [e.fullUrl, e.type]));
  const patients = entries.filter((e) => e.type === 'Patient');
  if (patients.length !== 1) throw new Error(`${source}: expected one Patient, found ${patients.length}`);
  const [patient] = patients as [RawEntry];
  stats.bundles += 1;
  stats.entries += entries.length;
  const records = entries.filter((e) => e.type !== 'Patient' && IMPORTED_TYPES.has(e.type));
  for (const e of entries) {
    if (IMPORTED_TYPES.has(e.type)) add(stats.kept, e.type);
    else add(stats.dropped, e.type);
  }
  const chunkOf = new Map<string, number>([[patient.fullUrl, 0]]);
  records.forEach((e, i) => chunkOf.set(e.fullUrl, Math.floor(i / MAX_RECORDS_PER_TRANSACTION)));
  const prepare = (e: RawEntry): ChunkEntry => {
    const here = chunkOf.get(e.fullUrl) ?? 0;
    const resource = copyReferences(e.resource, e.type, (reference, path) => {
      if (reference.startsWith('#')) return undefined; // a contained resource
      const target = chunkOf.get(reference);
      if (target === undefined) {
        const targetType = typeOf.get(reference) ?? reference.split('/')[0] ?? 'unknown';
        add(stats.cutReferences, `${path} → ${targetType}`);
        return targetType;
      }
      if (target > here) {
        stats.forwardReferences += 1;
        return typeOf.get(reference) ?? 'Resource';
      }
      return undefined;
    }) as Json;
    return { fullUrl: e.fullUrl, type: e.type, resource };
  };
  const chunks: ChunkEntry[][] = [];
  for (let i = 0; i < Math.max(records.length, 1); i += MAX_RECORDS_PER_TRANSACTION) {
    chunks.push(records.slice(i, i + MAX_RECORDS_PER_TRANSACTION).map(prepare));
  }
  chunks[0]?.unshift(prepare(patient));
  stats.transactions += chunks.length;
  return { source, chunks, resources: records.length + 1 };
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
 * The transaction Bundle for one chunk: references to entries created by earlier transactions (`created`: fullUrl →
 * `Type/id`) become server references; references within the chunk stay urn:uuid (the server resolves them).
 */
export function transactionBundle(chunk: readonly ChunkEntry[], created: ReadonlyMap<string, string>): Json {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: chunk.map((e) => ({
      fullUrl: e.fullUrl,
      resource: created.size === 0 ? e.resource : resolve(e.resource, created),
      request: { method: 'POST', url: e.type },
    })),
  };
}

/** Records what a transaction-response created (fullUrl → `Type/id`); returns how many entries were created. */
export function noteCreated(chunk: readonly ChunkEntry[], response: unknown, created: Map<string, string>): number {
  const entries = isObject(response) && Array.isArray(response.entry) ? response.entry : [];
  let count = 0;
  chunk.forEach((e, i) => {
    const result: unknown = entries[i];
    const answer = isObject(result) && isObject(result.response) ? result.response : {};
    const location = answer.location;
    if (typeof answer.status !== 'string' || !answer.status.startsWith('201') || typeof location !== 'string') return;
    created.set(e.fullUrl, location.split('/').slice(0, 2).join('/'));
    count += 1;
  });
  return count;
}
