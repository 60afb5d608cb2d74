import type { Context, Contract } from 'fabric-contract-api';

interface TransactionMetadata {
  readonly name: string;
  readonly parameters?: readonly { readonly name?: string; readonly schema?: { readonly type?: string } }[];
  readonly returns?: { readonly type?: string };
}

type AroundTransaction = (ctx: Context, fn: string, parameters: unknown[]) => Promise<unknown>;
type UnknownTransaction = (ctx: Context) => Promise<unknown>;

/**
 * Runs one transaction of a contract the way fabric-contract-api's dispatcher does: declared `@Transaction` methods
 * only (else `unknownTransaction`), parameter marshalling by declared type, `beforeTransaction`,
 * `aroundTransaction`, `afterTransaction`, and the JSON serializer's rules for the return value (as UTF-8).
 */
export async function dispatchTransaction(
  contract: Contract,
  ctx: Context,
  txName: string,
  args: string[],
): Promise<string> {
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
 * with emitDecoratorMetadata (tsc); under tsx (esbuild) there are none and arguments pass through as strings, but
 * their number is still checked against the method's own parameters (all but the context), as the DataMarshall
 * checks it against the declared ones: an extra argument would otherwise be committed without being looked at.
 */
function marshalParameters(contract: Contract, transaction: TransactionMetadata, args: string[]): unknown[] {
  const declared = transaction.parameters ?? [];
  const hasDesignTypes = Reflect.getMetadata('design:paramtypes', contract, transaction.name) !== undefined;
  if (declared.length === 0 && !hasDesignTypes) {
    requireArgumentCount(ownParameterCount(contract, transaction.name), args.length);
    return [...args];
  }
  requireArgumentCount(declared.length, args.length);
  return args.map((arg, index) => fromWireString(arg, declared[index]?.schema?.type));
}

function requireArgumentCount(expected: number, supplied: number): void {
  if (expected !== supplied) {
    throw new Error(`Expected ${expected} parameters, but ${supplied} have been supplied`);
  }
}

/** The parameters a transaction method declares after its context. */
function ownParameterCount(contract: Contract, name: string): number {
  const method: unknown = Reflect.get(contract, name);
  if (typeof method !== 'function') {
    throw new Error(`contract ${contract.getName()} has no method ${name}`);
  }
  return Math.max(0, method.length - 1);
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
  throw new Error(`contract dispatch: parameter type ${String(type)} is not supported; take strings and parse JSON`);
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
