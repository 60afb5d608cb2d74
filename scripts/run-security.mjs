#!/usr/bin/env node
// Runs the security and reliability suite (`packages/*/security/**/*.sec.test.ts`, issue 9) with node's test runner,
// one file at a time (they start real servers and child processes; the machine has few cores), under a time bound.
// Usage: node scripts/run-security.mjs [path-substring ...]
// Environment: MEDLEDGER_SOAK_SECONDS (default 600), MEDLEDGER_KILL_ROUNDS (default 50),
//              MEDLEDGER_SECURITY_TIMEOUT_MINUTES (default 60: the whole run is stopped after that).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.sec.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name, 'security'))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => collect(dir, []))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no security test files matched');
  process.exit(1);
}
const minutes = Number(process.env.MEDLEDGER_SECURITY_TIMEOUT_MINUTES ?? '60');
const result = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    timeout: minutes * 60_000,
    killSignal: 'SIGKILL',
    env: { CORE_CHAINCODE_LOGGING_LEVEL: 'ERROR', ...process.env },
  },
);
if (result.error) console.error(`security suite stopped: ${result.error.message}`);
process.exit(result.status ?? 1);
