import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { VerifyRequest, VerifyResponse } from './signature-worker.js';

export interface SignatureCheck {
  readonly certPem: string;
  readonly data: Uint8Array;
  readonly signature: string;
}

/** Identifies a (certificate, data, signature) triple, so a pre-verified result can only vouch for exactly that. */
export function signatureKey(check: SignatureCheck): string {
  // Length-prefixed parts, so that no two different triples can hash the same bytes.
  const hash = createHash('sha256');
  for (const part of [Buffer.from(check.certPem), check.data, Buffer.from(check.signature)]) {
    hash.update(`${part.length}:`).update(part);
  }
  return hash.digest('hex');
}

/** Starts the worker from the same kind of file as this module: compiled .js, or .ts through tsx in tests and dev. */
function startWorker(): Worker {
  const extension = extname(__filename);
  const file = join(__dirname, `signature-worker${extension}`);
  if (extension !== '.ts') return new Worker(file);
  // tsx resolved here, not in the worker: an eval worker resolves from the working directory, which may be anywhere.
  return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`, {
    eval: true,
  });
}

/**
 * Verifies signatures on worker threads (one per spare core). ECDSA verification is the largest single cost of a
 * transaction (five per transaction: the creator's and three endorsements at validation, the creator's at
 * endorsement), and it is independent work, so it runs beside the main thread's simulation and commits.
 */
export class SignaturePool {
  readonly #workers: Worker[];
  readonly #pending = new Map<
    number,
    { worker: Worker; items: readonly SignatureCheck[]; resolve: (results: boolean[]) => void }
  >();
  #closed = false;
  readonly #dead = new Set<Worker>();
  readonly #inFlight = new Map<Worker, number>();
  #nextId = 0;
  #next = 0;

  constructor(size = Math.max(1, availableParallelism() - 1), start: () => Worker = startWorker) {
    this.#workers = Array.from({ length: size }, () => {
      const worker = start();
      worker.on('message', (response: VerifyResponse) => {
        const pending = this.#pending.get(response.id);
        this.#pending.delete(response.id);
        if (pending) {
          this.#track(pending.worker, -1);
          pending.resolve(response.results);
        }
      });
      // A worker that dies answers "not verified" for what it held: the validator then verifies inline.
      const failPending = (): void => {
        // A message posted to an exited worker is dropped without an error: never send to it again.
        this.#dead.add(worker);
        for (const [id, pending] of this.#pending) {
          if (pending.worker !== worker) continue;
          this.#pending.delete(id);
          pending.resolve(pending.items.map(() => false));
        }
        this.#inFlight.set(worker, 0);
      };
      worker.on('error', failPending);
      worker.on('exit', failPending);
      // An idle pool must not keep the process alive; a worker with requests in flight must.
      worker.unref();
      return worker;
    });
  }

  /** Verifies the checks, spread over the workers; resolves to one boolean per check, in order. */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (checks.length === 0) return [];
    if (this.#closed) return checks.map(() => false);
    const size = this.#workers.length;
    const chunk = Math.ceil(checks.length / size);
    const parts: Promise<boolean[]>[] = [];
    for (let start = 0; start < checks.length; start += chunk) {
      parts.push(this.#send(checks.slice(start, start + chunk)));
    }
    return (await Promise.all(parts)).flat();
  }

  #send(items: readonly SignatureCheck[]): Promise<boolean[]> {
    const worker = this.#nextLiveWorker();
    if (!worker) return Promise.resolve(items.map(() => false));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, { worker, items, resolve });
      this.#track(worker, 1);
      worker.postMessage({ id, items } satisfies VerifyRequest);
    });
  }

  #nextLiveWorker(): Worker | undefined {
    for (let tries = 0; tries < this.#workers.length; tries++) {
      const worker = this.#workers[this.#next++ % this.#workers.length];
      if (worker && !this.#dead.has(worker)) return worker;
    }
    return undefined;
  }

  #track(worker: Worker, delta: number): void {
    const count = (this.#inFlight.get(worker) ?? 0) + delta;
    this.#inFlight.set(worker, count);
    if (count === 0) worker.unref();
    else if (delta > 0 && count === 1) worker.ref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
    for (const pending of this.#pending.values()) pending.resolve(pending.items.map(() => false));
    this.#pending.clear();
  }
}
