import type { TxTimestamp } from '@medledger/chaincode';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// No well-formed UTF-8 sequence contains 0xFF, so prefix ‖ 0xFF sorts after every key that starts with prefix.
const ABOVE_EVERY_CONTINUATION = Buffer.from([0xff]);

/** Whether `key` can be stored: well-formed UTF-16, so its UTF-8 encoding is exact. */
export function isStorableKey(key: string): boolean {
  return !LONE_SURROGATE.test(key);
}

/** The stored form of a key: its UTF-8 bytes, or undefined when it has a lone surrogate (no stored key equals it). */
export function keyBytes(key: string): Buffer | undefined {
  return isStorableKey(key) ? Buffer.from(key, 'utf8') : undefined;
}

/**
 * Bytes that order against every storable key exactly as `bound` does under `compareKeys` (UTF-16 with surrogates
 * moved above U+FFFF). Well-formed bounds are their UTF-8 bytes. A lone surrogate at index i decides every
 * comparison with keys sharing the prefix before it: a high surrogate sits where the first supplementary code point
 * of its block does, a low one above every continuation of the prefix.
 */
export function boundBytes(bound: string): Buffer {
  const lone = LONE_SURROGATE.exec(bound);
  if (lone === null) {
    return Buffer.from(bound, 'utf8');
  }
  const prefix = Buffer.from(bound.slice(0, lone.index), 'utf8');
  const unit = bound.charCodeAt(lone.index);
  if (unit <= 0xdbff) {
    const firstOfBlock = String.fromCodePoint(0x10000 + (unit - 0xd800) * 0x400);
    return Buffer.concat([prefix, Buffer.from(firstOfBlock, 'utf8')]);
  }
  return Buffer.concat([prefix, ABOVE_EVERY_CONTINUATION]);
}

/** The smallest byte string greater than `bytes`. */
export function successor(bytes: Buffer): Buffer {
  return Buffer.concat([bytes, Buffer.from([0])]);
}

/**
 * The proposal timestamp as Fabric's seconds + nanos, converted as the endorser hands it to the chaincode
 * (`getTxTimestamp`, millisecond precision via `Date.parse`), so history timestamps equal what the transaction saw.
 * @returns undefined when `Date.parse` cannot read it (the validator marks such a transaction BAD_PAYLOAD).
 */
export function parseTxTimestamp(iso: string): TxTimestamp | undefined {
  const millis = Date.parse(iso);
  if (!Number.isFinite(millis)) {
    return undefined;
  }
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanos: (millis - seconds * 1000) * 1_000_000 };
}
