import { DomainError } from '@medledger/core';
import type { Interaction } from '@medledger/core';
import type { EmbeddedNetwork } from '../network/embedded-network.js';
import type { Caller } from './caller.js';
import type { AuthorizeAccessResult, PermittedRecord } from '@medledger/core';
import type { AuthorizationProof, Custodian } from './custodian.js';
import type { LedgerGateway } from './ledger-gateway.js';
import type { FhirResource } from '@medledger/vault';

export interface Authorization {
  readonly result: AuthorizeAccessResult;
  readonly proof: AuthorizationProof;
}

export interface AccessQuery {
  readonly patientId: string;
  readonly resourceTypes: readonly string[];
  readonly recordIds?: readonly string[];
  readonly interaction: Interaction;
}

/**
 * The read gate (principle 3): submit AuthorizeAccess as the caller, wait for the commit, then ask each record's
 * custodian to release what the committed decision permitted. Nothing is read before the commit.
 */
export class AccessGate {
  constructor(
    private readonly network: EmbeddedNetwork,
    private readonly gateway: LedgerGateway,
    private readonly custodians: ReadonlyMap<string, Custodian>,
    private readonly onMissing: (recordId: string) => void = () => undefined,
  ) {}

  async authorize(caller: Caller, query: AccessQuery): Promise<Authorization> {
    const submitted = await this.gateway.submit<AuthorizeAccessResult>(caller.account.username, 'AuthorizeAccess', {
      patientId: query.patientId,
      purpose: caller.purpose,
      resourceTypes: [...query.resourceTypes],
      recordIds: [...(query.recordIds ?? [])],
      interaction: query.interaction,
      requestId: caller.requestId,
    });
    if (!submitted.value.purposeAccepted) {
      throw new DomainError(
        'ACCESS_DENIED',
        `purpose of use ${caller.purpose} is not permitted for role ${caller.account.role}`,
      );
    }
    const identity = await this.network.identity(caller.account.username);
    return {
      result: submitted.value,
      proof: { txId: submitted.txId, blockNumber: submitted.blockNumber, requesterCertPem: identity.certPem },
    };
  }

  /** Releases one permitted record through its custodian; undefined when it was erased meanwhile. */
  async release(authorization: Authorization, record: PermittedRecord): Promise<FhirResource | undefined> {
    const custodian = this.custodians.get(record.custodian);
    if (custodian === undefined) throw new DomainError('INTERNAL', `no custodian service for ${record.custodian}`);
    try {
      return await custodian.release(authorization.proof, record.recordId);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND' && error.details?.erased === true)
        return undefined;
      throw error;
    }
  }

  /**
   * Releases every permitted record. A committed record whose ciphertext is missing is left out and alerted, so that
   * one damaged record does not hide a patient's whole chart; a tampered one still fails the request.
   */
  async releaseAll(authorization: Authorization): Promise<FhirResource[]> {
    const released: FhirResource[] = [];
    for (const record of authorization.result.records) {
      try {
        const resource = await this.release(authorization, record);
        if (resource !== undefined) released.push(resource);
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'NOT_FOUND')) throw error;
        this.onMissing(record.recordId);
      }
    }
    return released;
  }
}
