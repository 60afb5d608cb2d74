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

  /**
   * Seals the text before the ledger transaction that names its hash (so a committed hash always has its text), and
   * removes it again if that transaction is refused: a refused request leaves no off-chain text behind.
   */
  private async withText<T>(text: string | undefined, submit: (hash: string | undefined) => Promise<T>): Promise<T> {
    if (text === undefined) return submit(undefined);
    const hash = this.hashText(text);
    const inserted = this.store.putSealedText(hash, sealText(this.storageKey, text, hash), this.clock().toISOString());
    try {
      return await submit(hash);
    } catch (error) {
      if (inserted) this.store.removeSealedText(hash);
      throw error;
    }
  }

  /** The off-chain text behind a hash, for those who may see the ledger object that names it. */
  text(hash: string | undefined): string | undefined {
    if (hash === undefined) return undefined;
    const sealed = this.store.sealedText(hash);
    return sealed === undefined ? undefined : openText(this.storageKey, sealed, hash);
  }

  async requestAccess(caller: Caller, body: Record<string, unknown>): Promise<AccessRequestRecord> {
    return this.withText(freeText(body.reason, 'reason', false), async (reasonHash) => {
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
    });
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

  /** Patients whose active consent names the calling clinician (or their organisation) for treatment: ids only. */
  async sharedPatients(caller: Caller): Promise<Array<{ patientId: string; consentId: string }>> {
    return this.gateway.evaluate(caller.account.username, 'ListPatientsSharingWithMe');
  }

  async breakGlass(caller: Caller, body: Record<string, unknown>): Promise<EmergencyGrant> {
    return this.withText(freeText(body.reason, 'reason', true), async (reasonHash) => {
      const input = { patientId: body.patient, reasonHash, reasonCode: body.reasonCode ?? 'other' };
      return (await this.gateway.submit<EmergencyGrant>(caller.account.username, 'BreakGlass', input)).value;
    });
  }

  /** The calling patient's break-glass grants, with the reason the clinician gave. */
  async myEmergencyGrants(caller: Caller): Promise<Array<EmergencyGrant & { reason?: string }>> {
    const grants = await this.gateway.evaluate<EmergencyGrant[]>(caller.account.username, 'GetMyEmergencyGrants');
    return grants.map((grant) => this.withReason(grant));
  }

  /** The patient ends a break-glass grant on their own data early; the contract decides who may. */
  async revokeEmergency(caller: Caller, grantId: string): Promise<EmergencyGrant> {
    return (await this.gateway.submit<EmergencyGrant>(caller.account.username, 'RevokeEmergencyAccess', { grantId }))
      .value;
  }

  private withReason(grant: EmergencyGrant): EmergencyGrant & { reason?: string } {
    const reason = this.text(grant.reasonHash);
    return reason === undefined ? grant : { ...grant, reason };
  }

  async pendingReviews(caller: Caller): Promise<Array<EmergencyGrant & { reason?: string }>> {
    const grants = await this.gateway.evaluate<EmergencyGrant[]>(
      caller.account.username,
      'ListPendingEmergencyReviews',
    );
    return grants.map((grant) => this.withReason(grant));
  }

  async review(caller: Caller, grantId: string, body: Record<string, unknown>): Promise<EmergencyGrant> {
    return this.withText(freeText(body.note, 'note', false), async (noteHash) => {
      const input = {
        grantId,
        patientId: body.patient,
        outcome: body.outcome,
        ...(noteHash === undefined ? {} : { noteHash }),
      };
      return (await this.gateway.submit<EmergencyGrant>(caller.account.username, 'ReviewEmergencyAccess', input)).value;
    });
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
