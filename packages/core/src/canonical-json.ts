import { DomainError } from './errors.js';

/**
 * Deterministic JSON: object keys sorted by code unit, no whitespace, `undefined` members omitted (as JSON.stringify
 * does). Every endorsing peer must produce byte-identical writes, and JSON.stringify keeps insertion order.
 * @throws DomainError INVALID_ARGUMENT for values JSON cannot represent faithfully (NaN, Infinity, bigint, functions).
 */
export function canonicalJson(value: unknown): string {
  return encode(value);
}

function encode(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new DomainError('INVALID_ARGUMENT', 'non-finite number in ledger data');
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) return `[${Array.from(value, (item: unknown) => encode(item ?? null)).join(',')}]`;
      return encodeObject(value);
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new DomainError('INVALID_ARGUMENT', `cannot encode ${typeof value} as ledger JSON`);
}

function encodeObject(value: object): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new DomainError('INVALID_ARGUMENT', 'only plain objects can be encoded as ledger JSON');
  }
  // The default sort compares UTF-16 code units, which is the documented order. Built with += on purpose: this
  // runs for every state write of every endorsement, and avoids an array of pairs per object.
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += JSON.stringify(key) + ':' + encode(member);
  }
  return out + '}';
}
