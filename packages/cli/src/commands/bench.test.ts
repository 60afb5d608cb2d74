import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../testing/cli-harness.js';

describe('medledger bench', () => {
  it('runs a benchmark of the checkout with the options after --, and prints its results', async () => {
    const result = await runCli(['bench', 'generate', '--', '12', 'cli-test'], { env: { PATH: process.env.PATH } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /12 patients/);
    const json = await runCli(['bench', 'generate', '--json', '--', '12', 'cli-test'], {
      env: { PATH: process.env.PATH },
    });
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { benchmark: string; args: string[]; exitCode: number; output: string[] };
    assert.equal(report.benchmark, 'generate');
    assert.deepEqual(report.args, ['12', 'cli-test']);
    assert.equal(report.exitCode, 0);
    // The same seed gives the same digest in both runs.
    const digest = /: ([0-9a-f]{64})$/m.exec(result.stdout)?.[1];
    assert.ok(digest !== undefined, result.stdout);
    assert.ok(report.output.some((line) => line.includes(digest)));
  });

  it('an unknown benchmark is a usage error (exit 2); a benchmark that fails is exit 1', async () => {
    const unknown = await runCli(['bench', 'fabric']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown benchmark "fabric": one of ledger, api, generate/);
    const failing = await runCli(['bench', 'ledger', '--', '--no-such-option'], { env: { PATH: process.env.PATH } });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /benchmark ledger failed/);
  });
});
