import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PASSWORD } from '../../src/demo.js';

const CHILD = join(__dirname, 'server-child.ts');

/** Where every process of the suite leaves its log output for the final PHI/secret scan (set by run-security.mjs). */
export function suiteLogDir(): string | undefined {
  const dir = process.env.MEDLEDGER_SECURITY_LOG_DIR;
  if (dir !== undefined && dir !== '') mkdirSync(dir, { recursive: true });
  return dir === '' ? undefined : dir;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: Record<string, unknown> & { entry?: Array<{ resource: Record<string, unknown> }> };
  readonly text: string;
}

export interface LiveMemory {
  readonly collected: boolean;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly rss: number;
}

/** A real server process on a loopback port, driven over HTTP; killed with SIGKILL or stopped with SIGTERM. */
export class ChildServer {
  private tokens = new Map<string, string>();
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {}

  static async start(
    dataDir: string,
    env: Record<string, string> = {},
    timeoutMs = 120_000,
    nodeOptions: readonly string[] = [],
  ): Promise<ChildServer> {
    const child = spawn(process.execPath, [...nodeOptions, '--conditions=source', '--import', 'tsx', CHILD, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const logDir = suiteLogDir();
    const logFile = logDir === undefined ? undefined : join(logDir, `server-child-${child.pid ?? 0}.log`);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
    let out = '';
    let listening = false;
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`server did not start: ${out.slice(-2000)}`));
      }, timeoutMs);
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString();
        if (logFile !== undefined) appendFileSync(logFile, text);
        if (listening) return;
        out += text;
        const match = /MEDLEDGER-LISTENING (\d+)/.exec(out);
        if (match?.[1] !== undefined) {
          listening = true;
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${String(code)}, ${String(signal)}) before listening: ${out.slice(-2000)}`));
      });
    });
    // Keep draining output (a full pipe would stall the server) into the suite log.
    return new ChildServer(child, port, exited);
  }

  /**
   * The server's live memory after a full garbage collection (bytes): asks the child with SIGUSR2 and reads its
   * `MEDLEDGER-MEMORY` line. The child must have been started with `--expose-gc` for `collected` to be true.
   */
  async liveMemory(): Promise<LiveMemory> {
    const stdout = this.child.stdout;
    if (stdout === null) throw new Error('the server has no stdout pipe');
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        stdout.off('data', onData);
        reject(new Error('no MEDLEDGER-MEMORY answer within 30 s'));
      }, 30_000);
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString();
        const match = /MEDLEDGER-MEMORY (\{.*\})\n/.exec(seen);
        if (match?.[1] === undefined) return;
        clearTimeout(timer);
        stdout.off('data', onData);
        resolve(JSON.parse(match[1]) as LiveMemory);
      };
      stdout.on('data', onData);
      this.child.kill('SIGUSR2');
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  async token(username: string): Promise<string> {
    const cached = this.tokens.get(username);
    if (cached !== undefined) return cached;
    const response = await fetch(`http://127.0.0.1:${this.port}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password: DEMO_PASSWORD }).toString(),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${text}`);
    const token = (JSON.parse(text) as { access_token: string }).access_token;
    this.tokens.set(username, token);
    return token;
  }

  async as(
    username: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: {
        ...(username === undefined ? {} : { authorization: `Bearer ${await this.token(username)}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: HttpAnswer['body'] = {};
    try {
      parsed = JSON.parse(text) as HttpAnswer['body'];
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, text };
  }
}
