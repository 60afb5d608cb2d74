import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, DEMO_PASSWORD, loadConfig, Medledger, provisionDemo } from '@medledger/server';
import type { Logger } from '@medledger/server';
import { main } from '../cli.js';
import type { CliDeps } from '../io.js';

export { DEMO_PASSWORD };

export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Standard input for --password-stdin. */
  readonly stdin?: string;
  /** A person at a terminal answers the prompts, in order. */
  readonly answers?: readonly string[];
  /** A terminal stream for the progress bar. */
  readonly progressStream?: NodeJS.WritableStream;
  /** Resolves `start`'s wait for a signal. */
  readonly shutdown?: Promise<string>;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The questions the command asked. */
  readonly prompts: readonly { question: string; hidden: boolean }[];
}

/** Captures what a run writes; `stdout` grows while the command runs (for `start`). */
export class MemoryDeps implements CliDeps {
  stdoutText = '';
  stderrText = '';
  readonly prompts: { question: string; hidden: boolean }[] = [];
  readonly env: CliDeps['env'];
  readonly cwd: string;
  readonly interactive: boolean;
  readonly progressStream?: NodeJS.WritableStream;
  readonly stdout = {
    write: (text: string): void => {
      this.stdoutText += text;
    },
    isTTY: false,
  };
  readonly stderr = {
    write: (text: string): void => {
      this.stderrText += text;
    },
    isTTY: false,
  };
  readonly #answers: string[];

  constructor(private readonly options: RunOptions = {}) {
    this.env = options.env ?? {};
    this.cwd = options.cwd ?? process.cwd();
    this.interactive = options.answers !== undefined;
    this.#answers = [...(options.answers ?? [])];
    if (options.progressStream !== undefined) this.progressStream = options.progressStream;
  }

  readStdin(): Promise<string> {
    return Promise.resolve(this.options.stdin ?? '');
  }

  prompt(question: string, options: { readonly hidden: boolean }): Promise<string> {
    this.prompts.push({ question, hidden: options.hidden });
    const answer = this.#answers.shift();
    return answer === undefined ? Promise.reject(new Error(`unexpected prompt: ${question}`)) : Promise.resolve(answer);
  }

  untilShutdown(): Promise<string> {
    return this.options.shutdown ?? new Promise(() => undefined);
  }
}

/** Runs `medledger` in this process with captured output. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const deps = new MemoryDeps(options);
  const code = await main(args, deps);
  return { code, stdout: deps.stdoutText, stderr: deps.stderrText, prompts: deps.prompts };
}

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A port nothing listens on (for "server down"). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * A real Medledger listening on a loopback port, on a temporary data directory with the demo accounts: what the CLI
 * talks to over HTTP. Key derivations are cheap (unsafeFastKdf) to keep the tests fast.
 */
export class TestServer {
  private constructor(
    readonly dataDir: string,
    readonly medledger: Medledger,
    readonly app: Awaited<ReturnType<typeof createApp>>,
    readonly url: string,
  ) {}

  static start(): Promise<TestServer> {
    return TestServer.open(mkdtempSync(join(tmpdir(), 'medledger-cli-')));
  }

  /** The same on an existing data directory (one this harness created): the demo accounts are kept as they are. */
  static async open(dataDir: string): Promise<TestServer> {
    const config = loadConfig({
      MEDLEDGER_DATA_DIR: dataDir,
      MEDLEDGER_TOKEN_RATE_LIMIT: '10000',
      LOG_LEVEL: 'silent',
    });
    const medledger = await Medledger.open(config, { log: quiet, unsafeFastKdf: true });
    await provisionDemo(medledger);
    const app = await createApp(medledger);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    return new TestServer(dataDir, medledger, app, `http://127.0.0.1:${port}`);
  }

  /** Runs the CLI against this server, with the demo password in the environment. */
  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runCli(args, {
      ...options,
      env: { MEDLEDGER_URL: this.url, MEDLEDGER_PASSWORD: DEMO_PASSWORD, ...options.env },
    });
  }

  /** A token for direct API calls in assertions. */
  async token(username: string): Promise<string> {
    const response = await fetch(`${this.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password: DEMO_PASSWORD }).toString(),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /** A direct API call (not through the CLI), to check what a command did. */
  async api(username: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.url}${path}`, {
      headers: { authorization: `Bearer ${await this.token(username)}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  patient(username: string): string {
    const id = this.medledger.accounts.get(username)?.patientId;
    if (id === undefined) throw new Error(`${username} is not a patient`);
    return `Patient/${id}`;
  }

  /** Stops the server; its data directory is removed unless `keepData` (then the caller removes it). */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.app.close();
    await this.medledger.close();
    if (options.keepData !== true) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
