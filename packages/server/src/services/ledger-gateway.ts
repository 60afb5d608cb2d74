import type { SubmitResult } from '@medledger/ledger';
import type { EmbeddedNetwork } from '../network/embedded-network.js';

export interface Submitted<T> {
  readonly value: T;
  readonly txId: string;
  readonly blockNumber: number;
}

/** Calls the contract as an account: submit waits for the commit; evaluate reads committed state only. */
export class LedgerGateway {
  constructor(private readonly network: EmbeddedNetwork) {}

  async submit<T>(username: string, transaction: string, input?: unknown): Promise<Submitted<T>> {
    const client = await this.network.client(username);
    const result: SubmitResult =
      input === undefined ? await client.submit(transaction) : await client.submit(transaction, JSON.stringify(input));
    return { value: JSON.parse(result.result) as T, txId: result.txId, blockNumber: result.blockNumber };
  }

  async evaluate<T>(username: string, transaction: string, input?: unknown): Promise<T> {
    const client = await this.network.client(username);
    const text =
      input === undefined
        ? await client.evaluate(transaction)
        : await client.evaluate(transaction, JSON.stringify(input));
    return JSON.parse(text) as T;
  }
}
