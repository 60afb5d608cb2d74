import 'reflect-metadata';

import { createHash } from 'node:crypto';

import type { Context, Contract } from 'fabric-contract-api';
import { ClientIdentity } from 'fabric-shim';

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

interface TransactionMetadata {
  readonly name: string;
  readonly parameters?: readonly { readonly name?: string; readonly schema?: { readonly type?: string } }[];
  readonly returns?: { readonly type?: string };
}

type AroundTransaction = (ctx: Context, fn: string, parameters: unknown[]) => Promise<unknown>;
type UnknownTransaction = (ctx: Context) => Promise<unknown>;

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

    const result = await dispatch(contract, ctx, txName, args);
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

async function dispatch(contract: Contract, ctx: Context, txName: string, args: string[]): Promise<string> {
  const transactions = declaredTransactions(contract);
  const transaction = transactions.find((candidate) => candidate.name === txName);
  if (transaction === undefined) {
    // As the dispatcher: the default unknownTransaction throws; one that returns makes an empty success.
    await (contract.unknownTransaction.bind(contract) as UnknownTransaction)(ctx);
    return '';
  }
  const parameters = marshalParameters(contract, transaction, args);
  await contract.beforeTransaction(ctx);
  // fabric-contract-api declares `fn: Function`, but its dispatcher passes the method name.
  const around = contract.aroundTransaction.bind(contract) as unknown as AroundTransaction;
  const result = await around(ctx, txName, parameters);
  await contract.afterTransaction(ctx, result);
  return toWireString(result, transaction.returns?.type);
}

function declaredTransactions(contract: Contract): readonly TransactionMetadata[] {
  const metadata: unknown = Reflect.getMetadata('fabric:transactions', contract);
  if (!Array.isArray(metadata) || metadata.length === 0) {
    throw new Error(`contract ${contract.getName()} declares no @Transaction() methods`);
  }
  return metadata as TransactionMetadata[];
}

/**
 * fabric-shim's DataMarshall for the primitive types. Parameter types exist only when the contract was compiled
 * with emitDecoratorMetadata (tsc); under tsx (esbuild) there are none and arguments pass through as strings.
 */
function marshalParameters(contract: Contract, transaction: TransactionMetadata, args: string[]): unknown[] {
  const declared = transaction.parameters ?? [];
  const hasDesignTypes = Reflect.getMetadata('design:paramtypes', contract, transaction.name) !== undefined;
  if (declared.length === 0 && !hasDesignTypes) {
    return [...args];
  }
  if (declared.length !== args.length) {
    throw new Error(`Expected ${declared.length} parameters, but ${args.length} have been supplied`);
  }
  return args.map((arg, index) => fromWireString(arg, declared[index]?.schema?.type));
}

function fromWireString(arg: string, type: string | undefined): unknown {
  if (type === 'string') {
    return arg;
  }
  if (type === 'number') {
    const value = Number(arg);
    if (Number.isNaN(value)) {
      throw new Error('fromBuffer could not convert data to number');
    }
    return value;
  }
  if (type === 'boolean') {
    const text = arg.trim().toLowerCase();
    if (text !== 'true' && text !== 'false') {
      throw new Error('fromBuffer could not convert data to boolean');
    }
    return text === 'true';
  }
  throw new Error(`contract harness: parameter type ${String(type)} is not supported; take strings and parse JSON`);
}

/** fabric-contract-api's JSONSerializer.toBuffer, decoded as UTF-8. */
function toWireString(result: unknown, returnType: string | undefined): string {
  if (result === undefined || result === null) {
    return '';
  }
  if ((returnType === 'string' || returnType === 'number') && typeof result !== returnType) {
    throw new Error(`Returned value is ${typeof result} does not match schema type of ${returnType}`);
  }
  if (typeof result === 'string' || typeof result === 'number' || typeof result === 'boolean') {
    return String(result);
  }
  // The real serializer runs class-transformer's classToPlain + JSON.stringify here: a Buffer becomes
  // {"type":"Buffer","data":[...]}, and the installed class-transformer 0.4.1 no longer exports classToPlain at all.
  throw new Error(
    `contract returned a ${describe(result)}: Fabric's JSON serializer would not send it as-is; return a string (JSON)`,
  );
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) {
    return 'Uint8Array/Buffer';
  }
  return typeof value === 'object' ? 'non-primitive object' : typeof value;
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
