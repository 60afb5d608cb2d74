import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Json = Record<string, unknown>;

/** Where the Synthea R4 bundles are: MEDLEDGER_SYNTHEA_DIR, else the shared data folder beside the repository. */
export function syntheaDirectory(): string {
  return process.env.MEDLEDGER_SYNTHEA_DIR ?? resolve(__dirname, '../../../../../shared/data/synthea-r4');
}

export function syntheaFiles(limit: number): string[] {
  const dir = syntheaDirectory();
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .slice(0, limit)
    .map((name) => join(dir, name));
}

export function readBundle(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.flatMap(strings) : typeof value === 'string' ? [value] : [];

/**
 * The PHI of every Patient in a Bundle (or of one Patient resource): names, birth date, address lines, cities and
 * postal codes, phones and emails, identifiers. Terms shorter than 4 characters are left out (they match anything).
 */
export function phiTerms(resource: Json): string[] {
  const patients =
    resource.resourceType === 'Patient'
      ? [resource]
      : ((resource.entry ?? []) as Array<{ resource?: Json }>)
          .map((e) => e.resource ?? {})
          .filter((r) => r.resourceType === 'Patient');
  const terms = new Set<string>();
  for (const patient of patients) {
    for (const name of (patient.name ?? []) as Json[]) {
      const given = strings(name.given);
      const family = strings(name.family);
      for (const part of [...given, ...family]) terms.add(part);
      if (given[0] !== undefined && family[0] !== undefined) terms.add(`${given[0]} ${family[0]}`);
    }
    if (typeof patient.birthDate === 'string') terms.add(patient.birthDate);
    for (const address of (patient.address ?? []) as Json[]) {
      for (const line of strings(address.line)) terms.add(line);
      for (const part of strings([address.city, address.postalCode])) terms.add(part);
    }
    for (const telecom of (patient.telecom ?? []) as Json[]) for (const v of strings(telecom.value)) terms.add(v);
    for (const identifier of (patient.identifier ?? []) as Json[])
      for (const v of strings(identifier.value)) terms.add(v);
  }
  return [...terms].filter((t) => t.trim().length >= 4);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A scanner for PHI terms, case-insensitive, as whole words: a term must not touch a letter or digit on either side,
 * so that a postal code is not "found" inside a SHA-256 nor a 4-letter name inside base64 (base64 texts are decoded
 * and scanned separately by readableForms).
 */
export function phiScanner(terms: readonly string[]): (text: string) => string[] {
  const patterns = terms.map((term) => {
    const body = escapeRegExp(term);
    return {
      term,
      pattern: new RegExp(`(?<![A-Za-z0-9])${body}(?![A-Za-z0-9])`, 'i'),
    };
  });
  return (text) => patterns.filter(({ pattern }) => pattern.test(text)).map(({ term }) => term);
}

/**
 * Every text a stored value can show: the raw bytes as UTF-8 and Latin-1, and recursively the strings inside it when
 * it is JSON (a block carries its arguments as JSON text inside JSON), plus base64 strings decoded.
 */
export function readableForms(bytes: Buffer): string[] {
  const out = [bytes.toString('utf8'), bytes.toString('latin1')];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8) return;
    if (typeof value === 'string') {
      out.push(value);
      if (/^[\s[{]/.test(value)) {
        try {
          visit(JSON.parse(value), depth + 1);
        } catch {
          // not JSON
        }
      }
      if (value.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(value))
        out.push(Buffer.from(value, 'base64').toString('utf8'));
    } else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (typeof value === 'object' && value !== null)
      for (const item of Object.values(value)) visit(item, depth + 1);
  };
  try {
    visit(JSON.parse(bytes.toString('utf8')), 0);
  } catch {
    // not JSON
  }
  return out;
}
