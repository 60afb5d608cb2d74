import { DomainError, toFhirConsent } from '@medledger/core';
import type { FhirResource } from '@medledger/vault';
import { organizations, practitioner, practitionerRole } from '../fhir/directory.js';
import { toFhirAuditEvent } from '../fhir/audit-event.js';
import { clinicalDateOf, isRecordType, RECORD_TYPES } from '../fhir/resource-facts.js';
import { scopeAllows } from '../auth/scopes.js';
import { matchesPatient, matchesSearch, pagedBundle, parseSearch, searchBundle } from '../fhir/search.js';
import { validateFhirResource } from '../fhir/validation.js';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';
import { notFound } from '../services/records.js';
import { requirePurpose, requireScope } from './caller.js';

type Json = Record<string, unknown>;
type Query = Readonly<Record<string, string | string[] | undefined>>;

const DIRECTORY_TYPES = new Set(['Organization', 'Practitioner', 'PractitionerRole']);

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
      const found = (await this.auditEvents(caller, {})).find((event) => event.id === id);
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
      matches = (await this.auditEvents(caller, query)).filter((e) =>
        matchesSearch({ ...search, dates: [] }, e as FhirResource),
      );
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

  private async auditEvents(caller: Caller, query: Query): Promise<Json[]> {
    const patient = typeof query.patient === 'string' ? query.patient.replace(/^Patient\//, '') : undefined;
    const events: Json[] = [];
    let bookmark: string | undefined;
    for (let page = 0; page < 50; page += 1) {
      const result = await this.medledger.access.auditTrail(caller, {
        ...(patient === undefined ? {} : { patientId: patient }),
        pageSize: 200,
        ...(bookmark === undefined ? {} : { bookmark }),
      });
      events.push(...result.events.map((event) => toFhirAuditEvent(event, 'medledger')));
      if (result.bookmark === '' || result.events.length === 0) break;
      bookmark = result.bookmark;
    }
    return events.sort((a, b) => String(b.recorded).localeCompare(String(a.recorded)));
  }
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
