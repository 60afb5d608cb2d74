#!/usr/bin/env node
// Runs every co-located unit test (`packages/*/src/**/*.test.ts`) with node's test runner; the security suite
// (`*.sec.test.ts`) runs separately: scripts/run-security.mjs.
// Node 20's `--test` does not expand globs, so the file list is built here.
// Usage: node scripts/run-tests.mjs [path-substring ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const skipDirs = new Set(['node_modules', 'dist', 'build', 'coverage']);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name)) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.test.ts') && !name.endsWith('.int.test.ts') && !name.endsWith('.sec.test.ts'))
      out.push(relative(root, full));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(join(root, 'packages'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  // fabric-contract-api logs every transaction at info level; keep test output readable.
  { cwd: root, stdio: 'inherit', env: { CORE_CHAINCODE_LOGGING_LEVEL: 'ERROR', ...process.env } },
);
process.exit(result.status ?? 1);
