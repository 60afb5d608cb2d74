import { DomainError } from '@medledger/core';
import type { RecordMetadata } from '@medledger/core';
import type { ChainTip, VerifyReport } from '@medledger/ledger';
import type { VerifyResult } from '@medledger/vault';
import { serviceLabel } from '../network/embedded-network.js';
import type { EmbeddedNetwork } from '../network/embedded-network.js';
import type { ServerStore } from '../store/server-store.js';
import type { LedgerGateway } from './ledger-gateway.js';

export interface RecordProblem {
  readonly recordId: string;
  readonly version: number;
  readonly custodian: string;
  /** tampered / missing (vault), or not-on-ledger / hash-mismatch (ledger vs vault). */
  readonly status: string;
  readonly detail?: string;
}

export interface IntegrityReport {
  readonly ok: boolean;
  readonly ledger: VerifyReport;
  readonly recordsChecked: number;
  readonly recordsErased: number;
  readonly problems: readonly RecordProblem[];
}

const PAGE = 500;

/**
 * `medledger verify` (principle 4): the whole chain (hashes, links, signatures, validation, world state) and then
 * every record version the server knows, re-checked in its custodian's vault against the hashes anchored on the
 * ledger: ciphertext hash, GCM tags, keyed plaintext hash; erased records must keep intact tombstones.
 */
export class IntegrityService {
  constructor(
    private readonly store: ServerStore,
    private readonly network: EmbeddedNetwork,
    private readonly gateway: LedgerGateway,
  ) {}

  async verify(
    options: { readonly expectedTip?: ChainTip; readonly onProgress?: (checked: number) => void } = {},
  ): Promise<IntegrityReport> {
    const ledger = await this.network.ledger.verify(
      options.expectedTip === undefined ? {} : { expectedTip: options.expectedTip },
    );
    const problems: RecordProblem[] = [];
    let checked = 0;
    let erased = 0;
    for (let after = ''; ;) {
      const page = this.store.recordVersions(after, PAGE);
      for (const record of page) {
        const result = await this.check(record.recordId, record.version, record.custodian).catch((error: unknown) => {
          // The ledger's copy of the record is unreadable or malformed (altered state): a problem to report, not an
          // exception, so that verify names every problem. Only an unavailable ledger stops it.
          if (!(error instanceof DomainError) || error.code === 'LEDGER_UNAVAILABLE') throw error;
          return { ok: false, status: 'unverifiable', failedCheck: `${error.code}: ${error.message}` } as const;
        });
        if (result.status === 'erased') erased += 1;
        if (!result.ok) {
          problems.push({
            recordId: record.recordId,
            version: record.version,
            custodian: record.custodian,
            status: result.status,
            ...(result.failedCheck === undefined ? {} : { detail: result.failedCheck }),
          });
        }
        checked += 1;
      }
      options.onProgress?.(checked);
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) break;
      after = last.recordId;
    }
    const report: IntegrityReport = {
      ok: ledger.ok && problems.length === 0,
      ledger,
      recordsChecked: checked,
      recordsErased: erased,
      problems,
    };
    return report;
  }

  private async check(recordId: string, version: number, custodian: string): Promise<VerifyResult> {
    let metadata: RecordMetadata;
    try {
      metadata = await this.gateway.evaluate<RecordMetadata>(serviceLabel(custodian), 'GetRecordMetadata', {
        recordId,
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') {
        return { recordId, version, status: 'missing', ok: false, failedCheck: 'tombstone' };
      }
      throw error;
    }
    return this.network.vault(custodian).verifyRecord(recordId, metadata.version, metadata);
  }
}
