import type { CloseableAsyncIterable } from '../ledger-client.js';

/**
 * Delivers items to subscribers once each and in order: first a replay of what was committed since the requested
 * block (read from the store), then live items as blocks commit. A slow reader buffers; `close()` ends the stream.
 */
export class EventHub<T extends { readonly blockNumber: number }> {
  readonly #subscribers = new Set<(item: T) => void>();

  publish(item: T): void {
    for (const subscriber of this.#subscribers) subscriber(item);
  }

  subscribe(
    replay: (fromBlock: number) => T[],
    startBlock: number | undefined,
    liveFrom: number,
  ): CloseableAsyncIterable<T> {
    const buffer: T[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const push = (item: T): void => {
      buffer.push(item);
      wake?.();
    };
    // Subscribe before replaying, then drop live items the replay already covered: nothing lost, nothing twice.
    this.#subscribers.add(push);
    const replayed = startBlock === undefined ? [] : replay(startBlock);
    const lastReplayed = replayed.at(-1)?.blockNumber ?? (startBlock ?? liveFrom) - 1;
    const live = buffer.splice(0).filter((item) => item.blockNumber > lastReplayed);
    buffer.push(...replayed, ...live);
    const subscribers = this.#subscribers;
    return {
      close(): void {
        closed = true;
        subscribers.delete(push);
        wake?.();
      },
      async *[Symbol.asyncIterator](): AsyncIterator<T> {
        try {
          while (!closed) {
            const next = buffer.shift();
            if (next !== undefined) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          closed = true;
          subscribers.delete(push);
        }
      },
    };
  }
}
