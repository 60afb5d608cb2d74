import { DomainError, fhirInstantRange, PATTERNS } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import { clinicalDateOf, isRecordType, RECORD_TYPES } from './resource-facts.js';

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 200;

type Comparator = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le';

interface DateFilter {
  readonly comparator: Comparator;
  readonly start: number;
  readonly end: number;
}

interface TokenFilter {
  readonly system?: string;
  readonly code: string;
}

/** A parsed search: who it is about, the filters (AND across parameters, OR within a comma list) and paging. */
export interface SearchRequest {
  readonly patientId?: string;
  readonly ids?: string[];
  readonly codes: TokenFilter[][];
  readonly categories: TokenFilter[][];
  readonly dates: DateFilter[];
  readonly lastUpdated: DateFilter[];
  readonly count: number;
  readonly offset: number;
  readonly patientFilters: { name?: string; birthdate?: DateFilter[]; identifier?: TokenFilter[] };
}

const PATIENT_PARAMS = new Set(['patient', 'subject', 'beneficiary']);
const COMMON = new Set(['_id', '_lastUpdated', '_count', '_offset', '_format']);
const RECORD_PARAMS = new Set([...COMMON, ...PATIENT_PARAMS, 'category', 'code', 'date']);
const PATIENT_RESOURCE_PARAMS = new Set([...COMMON, 'name', 'family', 'given', 'birthdate', 'identifier']);
const PAGING = new Set(['_count', '_offset', '_format']);

/** The parameters each kind of search can apply (anything else is refused, never ignored). */
function parametersFor(kind: string): ReadonlySet<string> {
  if (kind === 'Patient') return PATIENT_RESOURCE_PARAMS;
  if (kind === '$everything') return PAGING;
  if (kind === 'AuditEvent') return new Set([...PAGING, '_id', 'patient', '_lastUpdated']);
  if (isRecordType(kind)) return RECORD_PARAMS;
  return new Set([...PAGING, '_id']);
}

function bad(message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', message);
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw bad(`search parameter ${name} may be given once`);
    return value[0];
  }
  return value;
}

function all(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function integerParam(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) > max) throw bad(`${name} must be an integer from 0 to ${max}`);
  return Number(text);
}

function parseDate(text: string, name: string): DateFilter {
  const match = /^(eq|ne|gt|lt|ge|le)?(.+)$/.exec(text);
  const comparator = (match?.[1] ?? 'eq') as Comparator;
  const value = match?.[2] ?? '';
  try {
    const { start, end } = fhirInstantRange(value, name);
    return { comparator, start, end };
  } catch {
    throw bad(`${name} must be a FHIR date or dateTime with an optional prefix eq, ne, gt, lt, ge, le`);
  }
}

function parseToken(text: string): TokenFilter {
  const bar = text.indexOf('|');
  if (bar < 0) return { code: text };
  const system = text.slice(0, bar);
  return system === '' ? { code: text.slice(bar + 1) } : { system, code: text.slice(bar + 1) };
}

function patientOf(name: string, value: string): string {
  const id = value.startsWith('Patient/') ? value.slice('Patient/'.length) : value;
  if (!PATTERNS.patientId.test(id)) throw bad(`${name} must be a Medledger patient id (Patient/pt-…)`);
  return id;
}

type Query = Readonly<Record<string, string | string[] | undefined>>;

function checkParameters(resourceType: string, query: Query): void {
  const known = parametersFor(resourceType);
  for (const name of Object.keys(query)) {
    if (!known.has(name)) {
      throw bad(
        `unknown or unsupported search parameter ${JSON.stringify(name)} for ${resourceType}; supported: ${[...known].sort().join(', ')}`,
      );
    }
  }
  const format = single(query._format, '_format');
  if (format !== undefined && !['json', 'application/json', 'application/fhir+json'].includes(format)) {
    throw bad('_format must be json or application/fhir+json');
  }
}

function patientParameter(query: Query): { patientId?: string } {
  const patientParams = [...PATIENT_PARAMS].filter((name) => query[name] !== undefined);
  if (patientParams.length > 1) throw bad('give the patient once (patient, subject or beneficiary)');
  const patientParam = patientParams[0];
  const patientValue = patientParam === undefined ? undefined : single(query[patientParam], patientParam);
  return patientValue === undefined || patientParam === undefined
    ? {}
    : { patientId: patientOf(patientParam, patientValue) };
}

function patientFilters(query: Query): SearchRequest['patientFilters'] {
  const name = single(query.name, 'name') ?? single(query.family, 'family') ?? single(query.given, 'given');
  return {
    ...(name === undefined ? {} : { name: name.toLowerCase() }),
    ...(query.birthdate === undefined ? {} : { birthdate: all(query.birthdate).map((v) => parseDate(v, 'birthdate')) }),
    ...(query.identifier === undefined ? {} : { identifier: all(query.identifier).map(parseToken) }),
  };
}

/**
 * Parses a search's query parameters. Unknown parameters are an error (strict handling): silently ignoring a
 * misspelt filter would return more than the caller asked for.
 */
export function parseSearch(resourceType: string, query: Query): SearchRequest {
  checkParameters(resourceType, query);
  const ids = all(query._id).flatMap((v) => v.split(','));
  return {
    ...patientParameter(query),
    ...(query._id === undefined ? {} : { ids }),
    codes: all(query.code).map((v) => v.split(',').map(parseToken)),
    categories: all(query.category).map((v) => v.split(',').map(parseToken)),
    dates: all(query.date).map((v) => parseDate(v, 'date')),
    lastUpdated: all(query._lastUpdated).map((v) => parseDate(v, '_lastUpdated')),
    count: integerParam(single(query._count, '_count'), '_count', DEFAULT_COUNT, MAX_COUNT),
    offset: integerParam(single(query._offset, '_offset'), '_offset', 0, 1_000_000),
    patientFilters: patientFilters(query),
  };
}

function dateMatches(filter: DateFilter, text: string | undefined): boolean {
  if (text === undefined) return false;
  let value: { start: number; end: number };
  try {
    value = fhirInstantRange(text, 'date');
  } catch {
    return false;
  }
  const at = value.start;
  switch (filter.comparator) {
    case 'eq':
      return at >= filter.start && at < filter.end;
    case 'ne':
      return !(at >= filter.start && at < filter.end);
    case 'gt':
      return at >= filter.end;
    case 'ge':
      return at >= filter.start;
    case 'lt':
      return at < filter.start;
    case 'le':
      return at < filter.end;
  }
}

type Json = Readonly<Record<string, unknown>>;

function codings(value: unknown): Array<{ system?: unknown; code?: unknown }> {
  const concepts = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return concepts.flatMap((concept) => {
    const list = (concept as Json | null)?.coding;
    return Array.isArray(list) ? (list as Array<{ system?: unknown; code?: unknown }>) : [];
  });
}

function tokenMatches(
  filters: readonly TokenFilter[],
  candidates: ReadonlyArray<{ system?: unknown; code?: unknown }>,
): boolean {
  return filters.some((f) =>
    candidates.some((c) => c.code === f.code && (f.system === undefined || c.system === f.system)),
  );
}

const CODE_ELEMENTS = ['code', 'vaccineCode', 'medicationCodeableConcept', 'type'];

/** Whether a released resource satisfies the search's filters. */
export function matchesSearch(search: SearchRequest, resource: FhirResource): boolean {
  if (search.ids !== undefined && !search.ids.includes(String(resource.id))) return false;
  const codeCandidates = CODE_ELEMENTS.flatMap((element) => codings(resource[element]));
  if (!search.codes.every((filters) => tokenMatches(filters, codeCandidates))) return false;
  const derived = RECORD_TYPES[resource.resourceType]?.category;
  const categoryCandidates = [...codings(resource.category), ...(derived === undefined ? [] : [{ code: derived }])];
  if (!search.categories.every((filters) => tokenMatches(filters, categoryCandidates))) return false;
  if (!search.dates.every((filter) => dateMatches(filter, clinicalDateOf(resource)))) return false;
  const lastUpdated = (resource.meta as Json | undefined)?.lastUpdated;
  if (
    !search.lastUpdated.every((filter) =>
      dateMatches(filter, typeof lastUpdated === 'string' ? lastUpdated : undefined),
    )
  ) {
    return false;
  }
  return true;
}

/** Patient-resource filters: name (any part, prefix), birthdate, identifier. */
export function matchesPatient(search: SearchRequest, resource: FhirResource): boolean {
  if (search.ids !== undefined && !search.ids.includes(String(resource.id))) return false;
  const { name, birthdate, identifier } = search.patientFilters;
  if (name !== undefined) {
    const parts = (Array.isArray(resource.name) ? (resource.name as Json[]) : []).flatMap((n) => [
      ...(typeof n.family === 'string' ? [n.family] : []),
      ...(Array.isArray(n.given) ? (n.given as unknown[]).filter((g): g is string => typeof g === 'string') : []),
      ...(typeof n.text === 'string' ? [n.text] : []),
    ]);
    if (!parts.some((part) => part.toLowerCase().startsWith(name))) return false;
  }
  if (birthdate !== undefined) {
    const value = typeof resource.birthDate === 'string' ? resource.birthDate : undefined;
    if (!birthdate.every((filter) => dateMatches(filter, value))) return false;
  }
  if (identifier !== undefined) {
    const ids = (Array.isArray(resource.identifier) ? (resource.identifier as Json[]) : []).map((i) => ({
      system: i.system,
      code: i.value,
    }));
    if (!tokenMatches(identifier, ids)) return false;
  }
  return true;
}

/** A searchset page. `total` counts only what the caller may see and matched (principle 7). */
export function searchBundle(
  baseUrl: string,
  path: string,
  query: Readonly<Record<string, string | string[] | undefined>>,
  matches: readonly FhirResource[],
  search: Pick<SearchRequest, 'count' | 'offset'>,
): Record<string, unknown> {
  const page = matches.slice(search.offset, search.offset + search.count);
  return pagedBundle(baseUrl, path, query, page, matches.length, search);
}

/**
 * A searchset of one page whose matches were counted elsewhere, with self/next/previous links. Without a total (a
 * search that stopped reading once it had the page, FHIR's Bundle.total is optional), `more` says whether a next page
 * exists.
 */
export function pagedBundle(
  baseUrl: string,
  path: string,
  query: Readonly<Record<string, string | string[] | undefined>>,
  page: readonly FhirResource[],
  total: number | undefined,
  search: Pick<SearchRequest, 'count' | 'offset'>,
  more = total !== undefined && search.offset + search.count < total,
): Record<string, unknown> {
  const link = (offset: number): string => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (key === '_offset' || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
    }
    params.set('_count', String(search.count));
    params.set('_offset', String(offset));
    return `${baseUrl}${path}?${params.toString()}`;
  };
  const links = [{ relation: 'self', url: link(search.offset) }];
  if (search.count > 0 && more) {
    links.push({ relation: 'next', url: link(search.offset + search.count) });
  }
  if (search.offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, search.offset - search.count)) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === undefined ? {} : { total }),
    link: links,
    entry: page.map((resource) => ({
      fullUrl: `${baseUrl}/fhir/${resource.resourceType}/${String(resource.id)}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}
