import { DomainError } from '@medledger/core';
import type { AuthorizeAccessResult, PermittedRecord } from '@medledger/core';
import type { CommittedTransaction, Ledger } from '@medledger/ledger';
import type { FhirResource, Vault } from '@medledger/vault';

/** A committed authorization as a requester presents it to a custodian. */
export interface AuthorizationProof {
  readonly txId: string;
  readonly blockNumber: number;
  /** The requester's certificate: the authorization must have been submitted by this identity. */
  readonly requesterCertPem: string;
}

const RECENT_TRANSACTIONS = 256;

// How old a committed authorization may be when a custodian releases data under it.
const MAX_AUTHORIZATION_AGE_MS = 5 * 60 * 1000;

/** The records a committed AuthorizeAccess (or, for analytics, AuthorizeCohort) permitted; none for anything else. */
function permittedBy(tx: CommittedTransaction): readonly PermittedRecord[] {
  if (tx.fcn === 'AuthorizeAccess') return (JSON.parse(tx.result) as AuthorizeAccessResult).records;
  if (tx.fcn === 'AuthorizeCohort') {
    return (JSON.parse(tx.result) as { members: Array<{ records: PermittedRecord[] }> }).members.flatMap(
      (m) => m.records,
    );
  }
  return [];
}

/**
 * The custodian organisation's release check. It trusts nothing the requester says about the decision: it reads the
 * committed transaction from its own copy of the ledger, checks that it is a valid AuthorizeAccess submitted by the
 * requester, recent, and that it permitted this exact record version with these hashes; then it decrypts the record
 * from its vault, which re-checks the ciphertext and plaintext hashes against the anchored ones.
 */
export class Custodian {
  // A search releases many records under one authorization: its committed transaction is read from the ledger once.
  private readonly recent = new Map<
    string,
    { tx: CommittedTransaction; records: ReadonlyMap<string, PermittedRecord> }
  >();

  constructor(
    readonly mspId: string,
    private readonly ledger: Ledger,
    private readonly vault: Vault,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async release(proof: AuthorizationProof, recordId: string): Promise<FhirResource> {
    const permitted = await this.permittedRecord(proof, recordId);
    const record = await this.vault.get(permitted.recordId, permitted.version, {
      ciphertextSha256: permitted.ciphertextSha256,
      plaintextHmac: permitted.plaintextHmac,
    });
    return record.resource;
  }

  private async committed(
    proof: AuthorizationProof,
  ): Promise<{ tx: CommittedTransaction; records: ReadonlyMap<string, PermittedRecord> } | undefined> {
    const key = `${proof.txId}@${proof.blockNumber}`;
    const cached = this.recent.get(key);
    if (cached !== undefined) return cached;
    const tx = await this.ledger.committedTransaction(proof.txId, proof.blockNumber);
    // Only committed transactions are cached: they never change. An absent one may still be in flight.
    if (tx === undefined) return undefined;
    // Only this custodian's records are kept: the rest of a large authorization is another custodian's business.
    // By record id: a cohort authorization names thousands of records, each released on its own.
    const records = new Map(
      permittedBy(tx)
        .filter((r) => r.custodian === this.mspId)
        .map((r) => [r.recordId, r]),
    );
    for (const [cachedKey, cached] of this.recent) {
      if (this.clock().getTime() - Date.parse(cached.tx.timestamp) > MAX_AUTHORIZATION_AGE_MS)
        this.recent.delete(cachedKey);
    }
    if (this.recent.size >= RECENT_TRANSACTIONS) this.recent.delete(this.recent.keys().next().value ?? '');
    const entry = { tx, records };
    this.recent.set(key, entry);
    return entry;
  }

  private async permittedRecord(proof: AuthorizationProof, recordId: string): Promise<PermittedRecord> {
    const committed = await this.committed(proof);
    const tx = committed?.tx;
    const refuse = (why: string): never => {
      throw new DomainError('ACCESS_DENIED', `custodian ${this.mspId} refused the release: ${why}`);
    };
    if (tx === undefined) return refuse('the authorization is not on the ledger');
    if (tx.validationCode !== 'VALID') return refuse(`the authorization was invalidated (${tx.validationCode})`);
    if (tx.fcn !== 'AuthorizeAccess' && tx.fcn !== 'AuthorizeCohort') {
      return refuse('the transaction is not an authorization');
    }
    if (tx.creator.certPem !== proof.requesterCertPem) return refuse('the authorization was made by someone else');
    const age = this.clock().getTime() - Date.parse(tx.timestamp);
    if (!(age <= MAX_AUTHORIZATION_AGE_MS)) return refuse('the authorization is too old');
    const permitted = committed?.records.get(recordId);
    if (permitted === undefined) return refuse('the authorization does not cover this record');
    return permitted;
  }
}
