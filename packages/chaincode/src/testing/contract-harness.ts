import 'reflect-metadata';

import { createHash } from 'node:crypto';

import type { Contract } from 'fabric-contract-api';
import { ClientIdentity } from 'fabric-shim';

import { dispatchTransaction } from '../simulation/contract-dispatch.js';
import { MemoryState } from '../simulation/memory-state.js';
import type { ChaincodeEvent, KeyRead, KeyWrite, RangeQueryRead } from '../simulation/simulated-stub.js';
import { createSimulatedStub } from '../simulation/simulated-stub.js';
import type { TxTimestamp } from '../simulation/state-reader.js';

const DEFAULT_START_TIME = '2025-03-01T10:00:00Z';
const DEFAULT_CHANNEL_ID = 'medledger';

/** The parts of an enrolled identity the harness needs; a `TestIdentity` fits. */
export interface HarnessIdentity {
  readonly mspId: string;
  readonly certPem: string;
}

export interface ContractHarnessOptions {
  readonly state?: MemoryState;
  readonly channelId?: string;
  /** ISO time of the first transaction; each later one is 1 s after the previous. */
  readonly startTime?: string;
}

export interface InvokeOptions {
  readonly identity: HarnessIdentity;
  readonly txId?: string;
  /** ISO time for this transaction instead of the harness clock. */
  readonly time?: string;
  /** Default true for `invokeWith`. */
  readonly commit?: boolean;
  readonly transient?: ReadonlyMap<string, Uint8Array>;
}

export interface InvokeResult {
  readonly txId: string;
  /** What a client receives: the return value as Fabric's JSON serializer puts it on the wire, as UTF-8. */
  readonly result: string;
  readonly reads: readonly KeyRead[];
  readonly rangeQueries: readonly RangeQueryRead[];
  readonly writes: readonly KeyWrite[];
  readonly event: ChaincodeEvent | null;
}

// Function-valued properties, so tests can destructure `{ invoke, evaluate }`.
export interface ContractHarness {
  readonly state: MemoryState;
  /** Submits: simulates, validates and commits (one transaction per block). */
  readonly invoke: (identity: HarnessIdentity, txName: string, ...args: string[]) => Promise<InvokeResult>;
  readonly invokeWith: (options: InvokeOptions, txName: string, ...args: string[]) => Promise<InvokeResult>;
  /** Evaluates: simulates only, never commits. */
  readonly evaluate: (identity: HarnessIdentity, txName: string, ...args: string[]) => Promise<InvokeResult>;
  /**
   * Every byte string a block or the world state would hold for the committed transactions: keys and values of the
   * whole write history, event names and payloads, creator certificates (PEM), function names, arguments and
   * responses. For the no-PHI scan.
   */
  readonly allWrittenBytes: () => Uint8Array[];
}

/**
 * Runs contract transactions the way fabric-shim's contract dispatcher does (createContext, real ClientIdentity,
 * beforeTransaction, aroundTransaction, afterTransaction, JSON serializer rules), over a simulated stub and a
 * MemoryState. Errors from the contract are rethrown unchanged and nothing is committed.
 */
export function createContractHarness(
  contract: Contract,
  options: Readonly<ContractHarnessOptions> = {},
): ContractHarness {
  const state = options.state ?? new MemoryState();
  const channelId = options.channelId ?? DEFAULT_CHANNEL_ID;
  const startMillis = parseIsoMillis(options.startTime ?? DEFAULT_START_TIME);
  const committedBytes: Uint8Array[] = [];
  let counter = 0;

  const run = async (invoke: InvokeOptions, txName: string, args: string[]): Promise<InvokeResult> => {
    const sequence = counter++;
    const txId = invoke.txId ?? createHash('sha256').update(String(sequence)).digest('hex');
    const timestamp = toTimestamp(
      invoke.time === undefined ? startMillis + sequence * 1000 : parseIsoMillis(invoke.time),
    );
    const stub = createSimulatedStub({
      state,
      txId,
      channelId,
      timestamp,
      creator: { mspid: invoke.identity.mspId, idBytes: new TextEncoder().encode(invoke.identity.certPem) },
      fcn: txName,
      args,
      ...(invoke.transient === undefined ? {} : { transient: invoke.transient }),
    });
    const ctx = contract.createContext();
    ctx.stub = stub;
    ctx.clientIdentity = new ClientIdentity(stub);

    const result = await dispatchTransaction(contract, ctx, txName, args);
    const simulation = stub.simulationResult();
    if (invoke.commit ?? true) {
      const code = state.validate(simulation);
      if (code !== 'VALID') {
        throw new Error(`[${code}] transaction ${txId} (${txName}) was invalidated`);
      }
      const blockNum = (state.lastCommit?.blockNum ?? 0) + 1;
      state.apply(simulation, { blockNum, txNum: 0, txId, timestamp });
      // A block holds the proposal (creator certificate, function, arguments) and the response payload too.
      const inBlock = [invoke.identity.certPem, txName, ...args, result];
      committedBytes.push(...inBlock.map((text) => Buffer.from(text, 'utf8')));
      if (simulation.event !== null) {
        committedBytes.push(Buffer.from(simulation.event.name, 'utf8'), Uint8Array.from(simulation.event.payload));
      }
    }
    return {
      txId,
      result,
      reads: simulation.reads,
      rangeQueries: simulation.rangeQueries,
      writes: simulation.writes,
      event: simulation.event,
    };
  };

  return {
    state,
    invoke: (identity, txName, ...args) => run({ identity }, txName, args),
    invokeWith: (invoke, txName, ...args) => run(invoke, txName, args),
    evaluate: (identity, txName, ...args) => run({ identity, commit: false }, txName, args),
    allWrittenBytes: () => {
      const bytes = [...committedBytes];
      for (const [key, entries] of state.allHistory()) {
        bytes.push(Buffer.from(key, 'utf8'), ...entries.map((entry) => Uint8Array.from(entry.value)));
      }
      return bytes;
    },
  };
}

function parseIsoMillis(iso: string): number {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) {
    throw new Error(`not an ISO date-time: ${iso}`);
  }
  return millis;
}

function toTimestamp(millis: number): TxTimestamp {
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanos: (millis - seconds * 1000) * 1_000_000 };
}
