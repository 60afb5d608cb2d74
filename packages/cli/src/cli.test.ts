import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli.js';
import type { CliDeps } from './io.js';
import { closedPort, runCli, TestServer } from './testing/cli-harness.js';

/** The commands a --help text lists (without `help`). */
function commandNames(help: string): string[] {
  const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] ?? '').filter((name) => name !== 'help');
}

describe('medledger: help, usage, sign-in and exit codes', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => server.stop());

  it('prints help with examples for every command and subcommand, and exits 0', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: medledger/);
    assert.match(top.stdout, /Exit codes: 0 ok, 1 failure/);
    const names = commandNames(top.stdout);
    for (const name of [
      'demo',
      'start',
      'verify',
      'import',
      'consent',
      'access',
      'audit',
      'erase',
      'users',
      'keys',
      'network',
      'bench',
    ]) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    let checked = 0;
    for (const name of names) {
      const help = await runCli([name, '--help']);
      assert.equal(help.code, 0, name);
      assert.match(help.stdout, /Examples:\n {2}\$ .*medledger /, `${name} has examples`);
      for (const sub of commandNames(help.stdout)) {
        const subHelp = await runCli([name, sub, '--help']);
        assert.equal(subHelp.code, 0, `${name} ${sub}`);
        assert.match(subHelp.stdout, /Examples:\n {2}\$ .*medledger /, `${name} ${sub} has examples`);
        checked += 1;
      }
    }
    assert.equal(checked, 24, 'consent ×3, access ×4, users ×3, keys ×2, network ×4, analytics ×8');
    assert.equal((await runCli(['--version'])).stdout, '0.1.0\n');
  });

  it('exits 2 on usage errors: unknown command or option, missing argument, bad URL, no credentials', async () => {
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.equal((await runCli(['audit', '--frob'])).code, 2);
    assert.equal((await runCli(['erase'])).code, 2);
    assert.equal((await runCli([])).code, 2);
    const badUrl = await runCli(['whoami', '--url', 'ftp://x', '--user', 'alice'], {
      env: { MEDLEDGER_PASSWORD: 'p' },
    });
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--url must be an http\(s\) URL/);
    const anonymous = await server.run(['whoami'], { env: { MEDLEDGER_PASSWORD: undefined } });
    assert.equal(anonymous.code, 2);
    assert.match(anonymous.stderr, /sign in with --user/);
    const noPassword = await server.run(['whoami', '--user', 'alice'], { env: { MEDLEDGER_PASSWORD: undefined } });
    assert.equal(noPassword.code, 2);
    assert.equal(noPassword.stderr.trim().split('\n').length, 1, 'one line');
    assert.match(noPassword.stderr, /set MEDLEDGER_PASSWORD or run on a terminal/);
    const both = await server.run(['whoami', '--user', 'alice', '--token', 'x']);
    assert.equal(both.code, 2);
  });

  it('exits 3 when the server is unreachable, with one line and no stack', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const down = await runCli(['whoami', '--url', url, '--user', 'alice'], { env: { MEDLEDGER_PASSWORD: 'x' } });
    assert.equal(down.code, 3);
    assert.equal(down.stderr, `medledger: cannot reach the server at ${url} (ECONNREFUSED)\n`);
    const debug = await runCli(['whoami', '--debug', '--url', url, '--token', 't']);
    assert.equal(debug.code, 3);
    assert.match(debug.stderr, /\n {4}at /, '--debug prints the stack');
  });

  it('exits 4 on a wrong password or a bad token', async () => {
    const wrong = await server.run(['whoami', '--user', 'alice'], { env: { MEDLEDGER_PASSWORD: 'not-her-password' } });
    assert.equal(wrong.code, 4);
    assert.equal(wrong.stderr, 'medledger: login refused for "alice": wrong user name or password\n');
    const unknownUser = await server.run(['whoami', '--user', 'nobody']);
    assert.equal(unknownUser.code, 4);
    const badToken = await server.run(['whoami', '--token', 'not.a.jwt']);
    assert.equal(badToken.code, 4);
    assert.match(badToken.stderr, /HTTP 401/);
  });

  it('signs in with the password from a prompt (not echoed) on a terminal', async () => {
    const result = await server.run(['whoami', '--user', 'dr.grey'], {
      env: { MEDLEDGER_PASSWORD: undefined },
      answers: ['medledger-demo'],
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.prompts, [{ question: 'Password for dr.grey: ', hidden: true }]);
    assert.match(result.stdout, /dr\.grey \(Dr\. Meredith Grey\): clinician at HospitalAMSP/);
  });

  it('prints a token that works as --token and MEDLEDGER_TOKEN; --json output parses', async () => {
    const token = (await server.run(['token', '--user', 'alice'])).stdout.trim();
    assert.match(token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    const byFlag = await server.run(['whoami', '--token', token, '--json']);
    assert.equal(byFlag.code, 0, byFlag.stderr);
    const me = JSON.parse(byFlag.stdout) as { username: string; role: string; patient: string };
    assert.deepEqual([me.username, me.role, me.patient], ['alice', 'patient', server.patient('alice')]);
    const byEnv = await server.run(['whoami', '--json'], { env: { MEDLEDGER_TOKEN: token } });
    assert.equal((JSON.parse(byEnv.stdout) as { username: string }).username, 'alice');
  });

  it('with --json, errors are one JSON line on stderr and stdout stays empty', async () => {
    const result = await server.run(['users', 'list', '--user', 'alice', '--json']);
    assert.equal(result.code, 4);
    assert.equal(result.stdout, '');
    const error = JSON.parse(result.stderr) as { error: string; exitCode: number; status: number };
    assert.equal(error.exitCode, 4);
    assert.equal(error.status, 403);
  });

  it('has no colours when the output is not a terminal', async () => {
    const result = await server.run(['consent', 'list', '--user', 'alice']);
    assert.equal(result.code, 0);
    assert.ok(!(result.stdout + result.stderr).includes('\u001b['), 'no ANSI escapes');
  });

  it('every command and subcommand refuses an unknown option with exit 2 and one line', async () => {
    const names = commandNames((await runCli(['--help'])).stdout);
    for (const name of names) {
      const subs = commandNames((await runCli([name, '--help'])).stdout);
      for (const path of subs.length === 0 ? [[name]] : subs.map((sub) => [name, sub])) {
        const result = await runCli([...path, '--no-such-flag']);
        assert.equal(result.code, 2, path.join(' '));
        assert.doesNotMatch(result.stderr, /\n {4}at /, `${path.join(' ')}: no stack`);
      }
    }
  });

  it('in-process commands: one line without --debug, the stack with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medledger-cli-debug-'));
    try {
      const plain = await runCli(['verify', '--data-dir', dir]);
      assert.equal(plain.code, 2);
      assert.equal(plain.stderr.split('\n').length, 2, 'one line');
      const debug = await runCli(['verify', '--data-dir', dir, '--debug']);
      assert.equal(debug.code, 2);
      assert.match(debug.stderr, /\n {4}at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('colours on a terminal (unless NO_COLOR), none through a pipe', async () => {
    const run = async (isTTY: boolean, env: Record<string, string> = {}): Promise<string> => {
      let text = '';
      const stream = { write: (chunk: string) => void (text += chunk), isTTY };
      const deps: CliDeps = {
        env: { MEDLEDGER_FABRIC_CACHE: join(tmpdir(), 'medledger-no-cache'), PATH: process.env.PATH, ...env },
        cwd: process.cwd(),
        stdout: stream,
        stderr: stream,
        interactive: false,
        readStdin: () => Promise.resolve(''),
        prompt: () => Promise.reject(new Error('no prompt')),
        untilShutdown: () => new Promise(() => undefined),
      };
      assert.equal(await main(['network', 'status'], deps), 1);
      return text;
    };
    assert.ok((await run(true)).includes('\u001b['), 'colours on a terminal');
    assert.ok(!(await run(true, { NO_COLOR: '1' })).includes('\u001b['), 'NO_COLOR');
    assert.ok(!(await run(false)).includes('\u001b['), 'no colours through a pipe');
  });
});
