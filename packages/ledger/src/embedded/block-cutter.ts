import { envelopeBytes } from './block.js';
import type { TransactionEnvelope } from './block.js';

export interface BatchOptions {
  /** Cut a block once it holds this many transactions. */
  readonly maxTransactions: number;
  /** Cut a block before it would exceed this many bytes of transactions. */
  readonly maxBytes: number;
  /** Cut a non-empty block this long after its first transaction arrived. */
  readonly timeoutMs: number;
}

export const DEFAULT_BATCH: BatchOptions = { maxTransactions: 500, maxBytes: 10 * 1024 * 1024, timeoutMs: 5 };

/**
 * The ordering service's block cutter, as Fabric's: transactions queue in arrival order and leave as a batch when
 * the batch is full (count or bytes) or its timer fires. `onBatch` receives batches one at a time: the next batch is
 * not handed over until the previous one's promise settled, so blocks are committed strictly in order.
 */
export class BlockCutter {
  readonly #options: BatchOptions;
  readonly #onBatch: (batch: TransactionEnvelope[]) => Promise<void>;
  #pending: TransactionEnvelope[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #ready: TransactionEnvelope[][] = [];
  #draining: Promise<void> | undefined;

  constructor(options: BatchOptions, onBatch: (batch: TransactionEnvelope[]) => Promise<void>) {
    this.#options = options;
    this.#onBatch = onBatch;
  }

  enqueue(envelope: TransactionEnvelope): void {
    const size = envelopeBytes(envelope).length;
    if (this.#pending.length > 0 && this.#pendingBytes + size > this.#options.maxBytes) this.#cut();
    this.#pending.push(envelope);
    this.#pendingBytes += size;
    if (this.#pending.length >= this.#options.maxTransactions) this.#cut();
    else
      this.#timer ??= setTimeout(() => {
        this.#cut();
      }, this.#options.timeoutMs);
  }

  /** Cuts what is pending and resolves when every batch handed out so far has been processed. */
  async flush(): Promise<void> {
    this.#cut();
    while (this.#draining) await this.#draining;
  }

  #cut(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    this.#ready.push(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      for (let batch = this.#ready.shift(); batch; batch = this.#ready.shift()) await this.#onBatch(batch);
    } finally {
      this.#draining = undefined;
    }
  }
}
