import { DomainError } from '@medledger/core';
import type { AccessRequestRecord, AuditRecord, EmergencyGrant } from '@medledger/core';
import { openText, sealText } from '../secrets.js';
import type { ServerStore } from '../store/server-store.js';
import type { Caller } from './caller.js';
import type { LedgerGateway } from './ledger-gateway.js';

const MAX_TEXT = 2000;

function freeText(value: unknown, what: string, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim().length < (required ? 5 : 1) || value.length > MAX_TEXT) {
    throw new DomainError('INVALID_ARGUMENT', `${what} must be text of ${required ? 5 : 1} to ${MAX_TEXT} characters`);
  }
  return value.trim();
}

/**
 * Access requests, break-glass, emergency reviews and the audit trail. Free texts (reasons, notes) stay off-chain,
 * sealed in the server's store; the ledger gets their SHA-256.
 */
export class AccessService {
  constructor(
    private readonly store: ServerStore,
    private readonly gateway: LedgerGateway,
    private readonly storageKey: Buffer,
    private readonly hashText: (text: string) => string,
    private readonly clock: () => Date,
  ) {}

  private keepText(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const hash = this.hashText(text);
    this.store.putSealedText(hash, sealText(this.storageKey, text, hash), this.clock().toISOString());
    return hash;
  }

  /** The off-chain text behind a hash, for those who may see the ledger object that names it. */
  text(hash: string | undefined): string | undefined {
    if (hash === undefined) return undefined;
    const sealed = this.store.sealedText(hash);
    return sealed === undefined ? undefined : openText(this.storageKey, sealed, hash);
  }

  async requestAccess(caller: Caller, body: Record<string, unknown>): Promise<AccessRequestRecord> {
    const reasonHash = this.keepText(freeText(body.reason, 'reason', false));
    const input = {
      patientId: body.patient,
      purpose: body.purpose ?? caller.purpose,
      resourceTypes: body.resourceTypes ?? [],
      sensitiveLabels: body.sensitiveLabels ?? [],
      ...(body.periodEnd === undefined ? {} : { periodEnd: body.periodEnd }),
      reasonCode: body.reasonCode ?? 'continuity-of-care',
      ...(reasonHash === undefined ? {} : { reasonHash }),
    };
    return (await this.gateway.submit<AccessRequestRecord>(caller.account.username, 'RequestAccess', input)).value;
  }

  async listRequests(caller: Caller): Promise<AccessRequestRecord[]> {
    return this.gateway.evaluate<AccessRequestRecord[]>(caller.account.username, 'ListAccessRequests');
  }

  async respond(
    caller: Caller,
    requestId: string,
    decision: 'approve' | 'deny',
    body: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const input = {
      requestId,
      decision,
      ...(body.resourceTypes === undefined ? {} : { resourceTypes: body.resourceTypes }),
      ...(body.sensitiveLabels === undefined ? {} : { sensitiveLabels: body.sensitiveLabels }),
      ...(body.periodEnd === undefined ? {} : { periodEnd: body.periodEnd }),
    };
    return (
      await this.gateway.submit<Record<string, unknown>>(caller.account.username, 'RespondToAccessRequest', input)
    ).value;
  }

  async breakGlass(caller: Caller, body: Record<string, unknown>): Promise<EmergencyGrant> {
    const reasonHash = this.keepText(freeText(body.reason, 'reason', true));
    const input = { patientId: body.patient, reasonHash, reasonCode: body.reasonCode ?? 'other' };
    return (await this.gateway.submit<EmergencyGrant>(caller.account.username, 'BreakGlass', input)).value;
  }

  async pendingReviews(caller: Caller): Promise<Array<EmergencyGrant & { reason?: string }>> {
    const grants = await this.gateway.evaluate<EmergencyGrant[]>(
      caller.account.username,
      'ListPendingEmergencyReviews',
    );
    return grants.map((grant) => {
      const reason = this.text(grant.reasonHash);
      return reason === undefined ? grant : { ...grant, reason };
    });
  }

  async review(caller: Caller, grantId: string, body: Record<string, unknown>): Promise<EmergencyGrant> {
    const noteHash = this.keepText(freeText(body.note, 'note', false));
    const input = {
      grantId,
      patientId: body.patient,
      outcome: body.outcome,
      ...(noteHash === undefined ? {} : { noteHash }),
    };
    return (await this.gateway.submit<EmergencyGrant>(caller.account.username, 'ReviewEmergencyAccess', input)).value;
  }

  /** One page of the audit trail the caller may see (a patient: their own; a privacy officer: their org's). */
  async auditTrail(
    caller: Caller,
    query: { patientId?: string; pageSize: number; bookmark?: string },
  ): Promise<{ events: AuditRecord[]; bookmark: string }> {
    return this.gateway.evaluate(caller.account.username, 'GetAuditTrail', {
      ...(query.patientId === undefined ? {} : { patientId: query.patientId }),
      pageSize: query.pageSize,
      ...(query.bookmark === undefined ? {} : { bookmark: query.bookmark }),
    });
  }
}
