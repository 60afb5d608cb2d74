import { DomainError } from '@medledger/core';

/**
 * Fabric CA's attribute extension (non-critical). Its value is raw UTF-8 JSON `{"attrs":{...}}` (not DER), which
 * fabric-shim's `ClientIdentity` and Go's `cid` package parse.
 */
export const FABRIC_ATTRIBUTE_OID = '1.2.3.4.5.6.7.8.1';

/** Attribute name → value, as Fabric CA puts them in the certificate. */
export type FabricAttributes = Readonly<Record<string, string>>;

const MAX_EXTENSION_BYTES = 64 * 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Go's `sort.Strings` order: byte-wise over UTF-8, which differs from JS's UTF-16 order for astral characters. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** JSON string literal the way Go's `json.Marshal` writes it (HTML-safe escapes included). */
function goJsonString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function assertWellFormed(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) throw new DomainError('INVALID_ARGUMENT', `${what} is not valid Unicode`);
}

/**
 * The extension value Fabric CA writes for `attrs`: `{"attrs":{...}}` with keys sorted as Go's encoder sorts map
 * keys, and Go's HTML-safe escaping, so the bytes match a Fabric CA certificate carrying the same attributes.
 */
export function encodeFabricAttributes(attrs: FabricAttributes): Buffer {
  const entries = Object.entries(attrs);
  for (const [name, value] of entries) {
    if (name.length === 0) throw new DomainError('INVALID_ARGUMENT', 'attribute names must not be empty');
    if (typeof value !== 'string') throw new DomainError('INVALID_ARGUMENT', `attribute ${name} must be a string`);
    assertWellFormed(name, 'attribute name');
    assertWellFormed(value, `attribute ${name}`);
  }
  entries.sort(([a], [b]) => compareUtf8(a, b));
  const body = entries.map(([name, value]) => `${goJsonString(name)}:${goJsonString(value)}`).join(',');
  return Buffer.from(`{"attrs":{${body}}}`, 'utf8');
}

/**
 * Reads an attribute extension value. Strict: the value must be UTF-8 JSON whose `attrs` member is an object of
 * strings (what Fabric CA writes); anything else is INVALID_ARGUMENT. Members other than `attrs` are ignored, as Go's
 * decoder ignores them.
 */
export function decodeFabricAttributes(value: Uint8Array): FabricAttributes {
  const attrs = (parseExtensionJson(value) as { attrs?: unknown }).attrs;
  if (attrs === undefined || attrs === null) return Object.freeze({});
  if (typeof attrs !== 'object' || Array.isArray(attrs)) {
    throw new DomainError('INVALID_ARGUMENT', 'attribute extension "attrs" must be an object');
  }
  const entries = Object.entries(attrs as Record<string, unknown>);
  for (const [name, attrValue] of entries) {
    if (typeof attrValue !== 'string') throw new DomainError('INVALID_ARGUMENT', `attribute ${name} is not a string`);
  }
  // Object.fromEntries defines own properties, so a "__proto__" attribute stays data, not a prototype.
  return Object.freeze(Object.fromEntries(entries) as Record<string, string>);
}

function parseExtensionJson(value: Uint8Array): object {
  if (value.length > MAX_EXTENSION_BYTES) throw new DomainError('INVALID_ARGUMENT', 'attribute extension too large');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch (cause) {
    throw new DomainError('INVALID_ARGUMENT', 'attribute extension is not UTF-8', { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DomainError('INVALID_ARGUMENT', 'attribute extension is not JSON', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DomainError('INVALID_ARGUMENT', 'attribute extension must be a JSON object');
  }
  return parsed;
}
