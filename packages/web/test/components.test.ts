// Runs the web package's component and logic tests (vitest, happy-dom) and reports each one to node's test runner,
// so that `npm test` counts them in its summary and fails when one fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

interface AssertionResult {
  readonly fullName: string;
  readonly status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  readonly failureMessages: readonly string[];
}
interface FileResult {
  readonly name: string;
  readonly message?: string;
  readonly assertionResults: readonly AssertionResult[];
}

const web = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'medledger-vitest-'));
const report = join(out, 'report.json');
const run = spawnSync(process.execPath, [vitest, 'run', '--reporter=json', `--outputFile=${report}`], {
  cwd: web,
  encoding: 'utf8',
  env: { ...process.env, NODE_OPTIONS: '' },
});
let files: readonly FileResult[] = [];
try {
  files = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: readonly FileResult[] }).testResults;
} catch {
  // no report: the test below fails with vitest's output
}
rmSync(out, { recursive: true, force: true });

describe('web components and logic (vitest)', () => {
  it('vitest ran and found the spec files', () => {
    assert.ok(files.length > 0, `vitest produced no report:\n${run.stdout}\n${run.stderr}`);
  });
  it('vitest exited 0 (no error outside a test, such as an unhandled rejection)', () => {
    assert.equal(run.status, 0, `vitest exited ${String(run.status)}:\n${run.stdout}\n${run.stderr}`);
  });
  for (const file of files) {
    const name = file.name.slice(web.length);
    if (file.assertionResults.length === 0) {
      it(`${name} loads`, () => {
        assert.fail(file.message ?? 'the file has no tests');
      });
    }
    for (const test of file.assertionResults) {
      it(`${name} › ${test.fullName}`, { skip: test.status === 'skipped' || test.status === 'todo' }, () => {
        if (test.status !== 'passed') assert.fail(`${test.status}: ${test.failureMessages.join('\n')}`);
      });
    }
  }
});
