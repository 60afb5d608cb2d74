import { DomainError, toFhirConsent } from '@medledger/core';
import type { ConsentRecord } from '@medledger/core';
import type { Caller } from './caller.js';
import type { LedgerGateway } from './ledger-gateway.js';

type Json = Record<string, unknown>;

// Elements a FHIR Consent may carry that the ledger does not take (they would sit in every block): the contract
// fills dateTime, performer and organization itself; free text, extensions and identifiers are dropped here.
const STRIPPED_TOP_LEVEL = [
  'meta',
  'text',
  'dateTime',
  'performer',
  'organization',
  'sourceReference',
  'sourceAttachment',
  'policy',
  'identifier',
  'implicitRules',
  'language',
  'contained',
  'extension',
  'verification',
];
const STRIPPED_ANYWHERE = new Set(['display', 'extension', 'userSelected', 'version', 'id']);

function strip(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) return value.map((item) => strip(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if (STRIPPED_ANYWHERE.has(key) || (key === 'text' && depth > 0)) continue;
    out[key] = strip(child, depth + 1);
  }
  return out;
}

/** The ledger form of a FHIR Consent from a client: server-filled and free-text elements removed. */
export function consentForLedger(resource: Json, id?: string): Json {
  const body: Json = {};
  for (const [key, value] of Object.entries(resource)) {
    if (STRIPPED_TOP_LEVEL.includes(key) || key === 'id') continue;
    body[key] = strip(value, 1);
  }
  return id === undefined ? body : { ...body, id };
}

/** Consents are the patient's own grants: created, versioned and revoked on the ledger by the patient only. */
export class ConsentService {
  constructor(private readonly gateway: LedgerGateway) {}

  async create(caller: Caller, resource: Json): Promise<Json> {
    this.requirePatient(caller);
    const { value } = await this.gateway.submit<ConsentRecord>(
      caller.account.username,
      'PutConsent',
      consentForLedger(resource),
    );
    return toFhirConsent(value);
  }

  async update(caller: Caller, id: string, resource: Json): Promise<Json> {
    this.requirePatient(caller);
    const current = (await this.list(caller)).find((c) => c.id === id);
    if (current === undefined) throw new DomainError('NOT_FOUND', `Consent/${id} is not known`);
    const body = consentForLedger(resource, id);
    // Setting a consent inactive is a revocation (FHIR-CONVENTIONS §1 f).
    if (body.status === 'inactive' && current.status === 'active') return this.revoke(caller, id);
    const { value } = await this.gateway.submit<ConsentRecord>(caller.account.username, 'PutConsent', body);
    return toFhirConsent(value);
  }

  async revoke(caller: Caller, id: string): Promise<Json> {
    this.requirePatient(caller);
    const { value } = await this.gateway.submit<ConsentRecord>(caller.account.username, 'RevokeConsent', {
      consentId: id,
    });
    return toFhirConsent(value);
  }

  async read(caller: Caller, id: string): Promise<Json> {
    const found = (await this.list(caller)).find((c) => c.id === id);
    if (found === undefined) throw new DomainError('NOT_FOUND', `Consent/${id} is not known`);
    return toFhirConsent(found);
  }

  async history(caller: Caller, id: string): Promise<Json[]> {
    this.requirePatient(caller);
    try {
      const versions = await this.gateway.evaluate<ConsentRecord[]>(caller.account.username, 'GetConsentHistory', {
        consentId: id,
      });
      return versions.map(toFhirConsent);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND')
        throw new DomainError('NOT_FOUND', `Consent/${id} is not known`);
      throw error;
    }
  }

  /** The caller's consents (current versions); other roles have none to list. */
  async list(caller: Caller): Promise<ConsentRecord[]> {
    if (caller.account.patientId === undefined) return [];
    return this.gateway.evaluate<ConsentRecord[]>(caller.account.username, 'GetMyConsents');
  }

  private requirePatient(caller: Caller): void {
    if (caller.account.patientId === undefined) {
      throw new DomainError('ACCESS_DENIED', 'only the patient may record or change their consents');
    }
  }
}
