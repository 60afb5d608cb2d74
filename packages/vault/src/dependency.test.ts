import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

/** What the vault may import (DESIGN.md: `vault` depends on `core` only among the workspace packages). */
const ALLOWED = [/^node:/, /^\.\.?\//, /^@medledger\/core$/, /^kysely$/, /^pg$/, /^better-sqlite3$/];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sources(full, out);
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

describe('vault dependencies', () => {
  it('imports only core among the workspace packages, and no deep paths', () => {
    const offending: string[] = [];
    for (const file of sources(__dirname)) {
      const text = readFileSync(file, 'utf8');
      const statements =
        /^\s*(?:import|export)\b[^;]*?\bfrom\s*'([^']+)'|^\s*import\s*'([^']+)'|\b(?:require|import)\('([^']+)'\)/gm;
      for (const match of text.matchAll(statements)) {
        const specifier = match[1] ?? match[2] ?? match[3] ?? '';
        if (!ALLOWED.some((pattern) => pattern.test(specifier)))
          offending.push(`${relative(__dirname, file)}: ${specifier}`);
      }
    }
    assert.deepEqual(offending, []);
  });
});
