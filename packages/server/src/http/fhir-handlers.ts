import { DomainError, MAX_AUDIT_PAGE, toFhirConsent } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import { organizations, practitioner, practitionerRole } from '../fhir/directory.js';
import { toFhirAuditEvent } from '../fhir/audit-event.js';
import { clinicalDateOf, isRecordType, RECORD_TYPES } from '../fhir/resource-facts.js';
import { scopeAllows } from '../auth/scopes.js';
import { matchesPatient, matchesSearch, pagedBundle, parseSearch, searchBundle } from '../fhir/search.js';
import type { SearchRequest } from '../fhir/search.js';
import { validateFhirResource } from '../fhir/validation.js';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';
import { notFound } from '../services/records.js';
import { requirePurpose, requireScope } from './caller.js';

type Json = Record<string, unknown>;
type Query = Readonly<Record<string, string | string[] | undefined>>;

const DIRECTORY_TYPES = new Set(['Organization', 'Practitioner', 'PractitionerRole']);
/** How many of the contract's largest audit pages one AuditEvent search reads at most (about 50,000 events). */
const MAX_AUDIT_PAGES = 100;
const AUDIT_SEARCH_CAPPED =
  'this search stopped after reading about 50,000 audit events: older events were not read; narrow it with patient or _lastUpdated';

/** Every resource type the API serves (the CapabilityStatement lists the same). */
export function isSupportedType(type: string): boolean {
  return isRecordType(type) || DIRECTORY_TYPES.has(type) || ['Patient', 'Consent', 'AuditEvent'].includes(type);
}

export function requireSupportedType(type: string): void {
  if (!isSupportedType(type))
    throw new DomainError('NOT_FOUND', `resource type ${type} is not supported by this server`);
}

function requireBodyType(body: unknown, type: string): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('INVALID_ARGUMENT', 'the body must be a FHIR resource (a JSON object)');
  }
  const resourceType = (body as Json).resourceType;
  if (resourceType !== type) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the body's resourceType must be ${type} (got ${JSON.stringify(resourceType)})`,
    );
  }
  return body as Json;
}

/** Transport-free FHIR interactions (after medplum's fhir-router): the routes only parse HTTP and call these. */
export class FhirHandlers {
  constructor(private readonly medledger: Medledger) {}

  private get base(): string {
    return this.medledger.config.publicUrl;
  }

  async read(caller: Caller, type: string, id: string): Promise<Json> {
    requireSupportedType(type);
    requireScope(caller, type, 'r');
    if (isRecordType(type) || type === 'Patient') requirePurpose(caller);
    if (type === 'Patient') return this.medledger.patients.read(caller, id);
    if (type === 'Consent') return this.medledger.consents.read(caller, id);
    if (type === 'AuditEvent') {
      const byId = (event: Json): boolean => event.id === id;
      const [found] = (await this.newestAuditEvents(caller, undefined, byId, 1, MAX_AUDIT_PAGE)).matches;
      if (found === undefined) throw notFound(type, id);
      return found;
    }
    if (DIRECTORY_TYPES.has(type)) {
      const found = this.directory(type).find((entry) => entry.id === id);
      if (found === undefined) throw notFound(type, id);
      return found;
    }
    return this.medledger.records.read(caller, type, id);
  }

  async search(caller: Caller, type: string, query: Query, path = `/fhir/${type}`): Promise<Json> {
    requireSupportedType(type);
    requireScope(caller, type, 's');
    if (isRecordType(type)) requirePurpose(caller);
    const search = parseSearch(type, query);
    let matches: Json[];
    if (type === 'Patient') {
      const found = await this.medledger.patients.search(caller, (r) => matchesPatient(search, r), search);
      return pagedBundle(this.base, path, query, found.page, found.total, search);
    } else if (type === 'Consent') {
      matches = (await this.medledger.consents.list(caller))
        .map(toFhirConsent)
        .filter((c) => search.ids === undefined || search.ids.includes(String(c.id)));
    } else if (type === 'AuditEvent') {
      return this.auditSearch(caller, search, query, path);
    } else if (DIRECTORY_TYPES.has(type)) {
      matches = this.directory(type).filter(
        (entry) => search.ids === undefined || search.ids.includes(String(entry.id)),
      );
    } else {
      const patientId = search.patientId ?? caller.account.patientId;
      if (patientId === undefined) {
        throw new DomainError(
          'INVALID_ARGUMENT',
          `a ${type} search needs the patient (patient=Patient/{id} or subject=…)`,
        );
      }
      const released = await this.medledger.records.search(caller, patientId, [type], search.ids);
      matches = released.filter((r) => matchesSearch(search, r)).sort(byDateDescending);
    }
    return searchBundle(this.base, path, query, matches as FhirResource[], search);
  }

  /** `Patient/{id}/$everything`: the demographics and every record the caller may see, in one searchset. */
  async everything(caller: Caller, patientId: string, query: Query): Promise<Json> {
    requireScope(caller, 'Patient', 'r');
    requirePurpose(caller);
    const search = parseSearch('$everything', query);
    const allowed = Object.keys(RECORD_TYPES).filter((type) => scopeAllows(caller.scope, type, 'r'));
    const patient = await this.medledger.patients.read(caller, patientId);
    const records =
      allowed.length === 0
        ? []
        : (await this.medledger.records.search(caller, patientId, allowed)).sort(byDateDescending);
    return searchBundle(this.base, `/fhir/Patient/${patientId}/$everything`, query, [patient, ...records], {
      count: Math.max(search.count, 1),
      offset: search.offset,
    });
  }

  async create(caller: Caller, type: string, body: unknown): Promise<Json> {
    requireSupportedType(type);
    requireScope(caller, type, 'c');
    const resource = requireBodyType(body, type);
    if (type === 'Consent') return this.medledger.consents.create(caller, validateFhirResource(resource));
    if (type === 'Patient')
      return (await this.medledger.patients.create(caller, stripId(validateFhirResource(resource)))).resource;
    if (!isRecordType(type)) throw new DomainError('ACCESS_DENIED', `${type} resources are read-only here`);
    const [stored] = await this.medledger.records.write(caller, [
      { resource: stripId(validateFhirResource(resource)) },
    ]);
    if (stored === undefined) throw new DomainError('INTERNAL', 'nothing was stored');
    return stored.resource;
  }

  async update(caller: Caller, type: string, id: string, body: unknown): Promise<Json> {
    requireSupportedType(type);
    requireScope(caller, type, 'u');
    const resource = requireBodyType(body, type);
    if (resource.id !== undefined && resource.id !== id) {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `the body's id (${JSON.stringify(resource.id)}) must match the URL's (${id})`,
      );
    }
    if (type === 'Consent') return this.medledger.consents.update(caller, id, validateFhirResource(resource));
    if (type === 'Patient') return this.medledger.patients.update(caller, id, validateFhirResource(resource));
    if (!isRecordType(type)) throw new DomainError('ACCESS_DENIED', `${type} resources are read-only here`);
    // Validate before looking the id up: an invalid body must answer the same for a hidden and a missing record.
    const valid = validateFhirResource(resource);
    const current = this.medledger.records.current(type, id);
    if (current === undefined) throw notFound(type, id);
    const [stored] = await this.medledger.records
      .write(caller, [{ resource: valid, replaces: current }])
      .catch((error: unknown) => {
        // A record the caller may not change looks like one that does not exist (principle 7).
        if (error instanceof DomainError && ['CONFLICT', 'ACCESS_DENIED'].includes(error.code))
          throw notFound(type, id);
        throw error;
      });
    if (stored === undefined) throw new DomainError('INTERNAL', 'nothing was stored');
    return stored.resource;
  }

  async remove(caller: Caller, type: string, id: string, patientRequest: string | undefined): Promise<Json> {
    requireSupportedType(type);
    requireScope(caller, type, 'd');
    if (type === 'Consent') {
      await this.medledger.consents.revoke(caller, id);
      return {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'information', code: 'informational', diagnostics: `Consent/${id} revoked` }],
      };
    }
    if (!isRecordType(type)) throw new DomainError('ACCESS_DENIED', `${type} resources cannot be deleted`);
    const receipt = await this.medledger.records.erase(caller, type, id, patientRequest);
    return {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'information',
          code: 'informational',
          diagnostics: `${type}/${id} erased: its data key and ciphertext are destroyed; erasure receipt ${String(receipt.receiptId)} is on the ledger`,
        },
      ],
    };
  }

  private directory(type: string): Json[] {
    if (type === 'Organization') return organizations();
    const staff = this.medledger.accounts.list().filter((a) => a.role !== 'patient' && a.kind === 'person');
    return type === 'Practitioner' ? staff.map(practitioner) : staff.map(practitionerRole);
  }

  /** AuditEvents newest first, reading only as far as this page and one event past it; `_count=0` asks for the total. */
  private async auditSearch(caller: Caller, search: SearchRequest, query: Query, path: string): Promise<Json> {
    const wanted = search.count === 0 ? Infinity : search.offset + search.count + 1;
    const accept = (event: Json): boolean => matchesSearch(search, event as FhirResource);
    // A filter may match few events: read big pages from the start rather than growing to them.
    const filtered = search.ids !== undefined || search.lastUpdated.length > 0;
    const firstPage = filtered ? MAX_AUDIT_PAGE : wanted;
    const found = await this.newestAuditEvents(caller, search.patientId, accept, wanted, firstPage);
    const page = found.matches.slice(search.offset, search.offset + search.count) as FhirResource[];
    const total = found.complete ? found.matches.length : undefined;
    const more = found.matches.length > search.offset + search.count;
    const bundle = pagedBundle(this.base, path, query, page, total, search, more);
    return found.capped ? withOutcome(bundle, AUDIT_SEARCH_CAPPED) : bundle;
  }

  /**
   * The caller's AuditEvents from the newest, until `wanted` of them pass `accept` or the trail ends (`complete`). Pages
   * start at the size wanted and double, so a short answer reads little and a sparse filter still gets through.
   */
  private async newestAuditEvents(
    caller: Caller,
    patientId: string | undefined,
    accept: (event: Json) => boolean,
    wanted: number,
    firstPage: number,
  ): Promise<{ matches: Json[]; complete: boolean; capped: boolean }> {
    const matches: Json[] = [];
    let bookmark: string | undefined;
    let pageSize = Math.min(MAX_AUDIT_PAGE, Math.max(1, firstPage));
    for (let pages = 0; pages < MAX_AUDIT_PAGES; pages += 1) {
      const result = await this.medledger.access.auditTrail(caller, {
        ...(patientId === undefined ? {} : { patientId }),
        pageSize,
        ...(bookmark === undefined ? {} : { bookmark }),
      });
      for (const event of result.events) {
        const resource = toFhirAuditEvent(event, 'medledger');
        if (accept(resource)) matches.push(resource);
        if (matches.length >= wanted) return { matches, complete: false, capped: false };
      }
      if (result.bookmark === '') return { matches, complete: true, capped: false };
      bookmark = result.bookmark;
      pageSize = Math.min(MAX_AUDIT_PAGE, pageSize * 2);
    }
    return { matches, complete: false, capped: true };
  }
}

/** A searchset with a warning for the client (FHIR: an entry whose search mode is `outcome`). */
function withOutcome(bundle: Record<string, unknown>, diagnostics: string): Record<string, unknown> {
  const entries = (bundle.entry as unknown[] | undefined) ?? [];
  const outcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'warning', code: 'too-costly', diagnostics }],
  };
  return { ...bundle, entry: [...entries, { resource: outcome, search: { mode: 'outcome' } }] };
}

function stripId(resource: FhirResource): FhirResource {
  const { id: _id, ...rest } = resource;
  return rest;
}

function dateKey(resource: Json): string {
  const meta = resource.meta as { lastUpdated?: string } | undefined;
  return clinicalDateOf(resource as FhirResource) ?? meta?.lastUpdated ?? '';
}

function byDateDescending(a: Json, b: Json): number {
  return dateKey(b).localeCompare(dateKey(a));
}
