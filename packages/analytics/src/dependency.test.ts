import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// DESIGN.md: analytics may depend on core only (the server depends on analytics, never the reverse).
const root = join(__dirname, '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sources(full, out);
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

describe('analytics dependency rules', () => {
  it('declares only @medledger/core and ml-matrix as dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}).sort(), ['@medledger/core', 'ml-matrix']);
  });

  it('imports no other workspace package, no deep path, and never uses Math.random', () => {
    for (const file of sources(join(root, 'src')).concat(sources(join(root, 'bench')))) {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
      for (const specifier of imports.filter((s) => s.startsWith('@medledger/'))) {
        assert.equal(specifier, '@medledger/core', `${file} imports ${specifier}`);
      }
      if (!file.endsWith('dependency.test.ts')) assert.ok(!text.includes('Math.random'), `${file} uses Math.random`);
    }
  });
});
