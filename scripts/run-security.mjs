#!/usr/bin/env node
// Runs the security and reliability suite (`packages/*/security/**/*.sec.test.ts`, issue 9) with node's test runner,
// one file at a time (they start real servers and child processes; the machine has few cores), under a time bound.
// Usage: node scripts/run-security.mjs [path-substring ...]
// Environment: MEDLEDGER_SOAK_SECONDS (default 600), MEDLEDGER_KILL_ROUNDS (default 50),
//              MEDLEDGER_SECURITY_TIMEOUT_MINUTES (default 60: the whole run is stopped after that).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

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
// Every process of the suite leaves its log output here; the last file (zz-log-scan) scans it all for PHI and secrets.
const ownLogDir = process.env.MEDLEDGER_SECURITY_LOG_DIR === undefined;
const logDir = process.env.MEDLEDGER_SECURITY_LOG_DIR ?? mkdtempSync(join(tmpdir(), 'medledger-security-logs-'));
const runnerLog = createWriteStream(join(logDir, 'runner.log'));
console.log(`security suite: ${files.length} files, logs in ${logDir}, stopped after ${minutes} minutes`);
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { CORE_CHAINCODE_LOGGING_LEVEL: 'ERROR', ...process.env, MEDLEDGER_SECURITY_LOG_DIR: logDir },
  },
);
for (const [stream, out] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
]) {
  stream.on('data', (chunk) => {
    out.write(chunk);
    runnerLog.write(chunk);
    for (const match of chunk.toString().matchAll(/^ℹ (pass|fail) (\d+)$/gm)) totals[match[1]] = Number(match[2]);
  });
}
const totals = { pass: 0, fail: 0 };
const timer = setTimeout(() => {
  console.error(`security suite stopped: over ${minutes} minutes`);
  child.kill('SIGKILL');
}, minutes * 60_000);
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  runnerLog.end();
  // The closing lines the CI harness reads (node:test's TAP form), whatever the reporter printed.
  console.log(`# pass ${totals.pass}\n# fail ${code === 0 ? totals.fail : Math.max(totals.fail, 1)}`);
  // The logs stay for inspection when something failed.
  if (code === 0 && ownLogDir) rmSync(logDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
