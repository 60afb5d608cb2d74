import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Client } from 'pg';

/**
 * Starts a throw-away PostgreSQL server for tests: `initdb` into a temp dir, `pg_ctl start` on a free loopback port
 * (its unix socket in the temp dir too), one database created; `stop()` stops exactly that postmaster and removes
 * the dir. As root, PostgreSQL refuses to run, so the commands run as the `postgres` user (runuser, else su) and the
 * temp dir is chowned to it.
 */

export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication, loopback only). */
  readonly databaseUrl: string;
  readonly port: number;
  /** The postmaster's pid (read from its postmaster.pid). */
  readonly pid: number;
  readonly dir: string;
  stop(): Promise<void>;
}

export const POSTGRES_NOT_FOUND_MESSAGE =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, in /usr/local/bin or in ' +
  '/usr/lib/postgresql/*/bin. Install them (Debian: apt-get install -y postgresql) or set ' +
  'MEDLEDGER_SKIP_PG=1 to skip the PostgreSQL suites explicitly.';

/** Whether the PostgreSQL suites were switched off explicitly (never implicitly: missing binaries fail them). */
export function postgresSuitesSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['MEDLEDGER_SKIP_PG'] === '1';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binariesIn(directory: string): PostgresBinaries | undefined {
  const initdb = join(directory, 'initdb');
  if (!executable(initdb)) return undefined;
  // Use the real directory so that pg_ctl finds the matching `postgres` beside it.
  const binDir = dirname(realpathSync(initdb));
  const pgCtl = join(binDir, 'pg_ctl');
  if (!executable(pgCtl) || !executable(join(binDir, 'postgres'))) return undefined;
  return { binDir, initdb: join(binDir, 'initdb'), pgCtl };
}

function debianVersionDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
    .map((name) => join(root, name, 'bin'));
}

/** Where PostgreSQL binaries are looked for after `MEDLEDGER_PG_BIN` and PATH. */
export function defaultPostgresDirectories(): string[] {
  return ['/usr/local/bin', ...debianVersionDirs()];
}

/** Finds initdb/pg_ctl: `MEDLEDGER_PG_BIN`, then PATH, then /usr/local/bin, then /usr/lib/postgresql/<newest>/bin. */
export function findPostgresBinaries(
  env: NodeJS.ProcessEnv = process.env,
  fallbackDirectories: readonly string[] = defaultPostgresDirectories(),
): PostgresBinaries | undefined {
  const candidates = [
    ...(env['MEDLEDGER_PG_BIN'] ? [env['MEDLEDGER_PG_BIN']] : []),
    ...(env['PATH'] ?? '').split(delimiter).filter((entry) => entry !== ''),
    ...fallbackDirectories,
  ];
  for (const directory of candidates) {
    const found = binariesIn(directory);
    if (found !== undefined) return found;
  }
  return undefined;
}

interface Runner {
  /** Runs a PostgreSQL binary as the user that may run it. */
  run(file: string, args: readonly string[]): Promise<string>;
  runSync(file: string, args: readonly string[]): void;
  owner: { uid: number; gid: number } | undefined;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function findOnPath(name: string): string | undefined {
  for (const directory of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env['PATH'] ?? '').split(delimiter)]) {
    if (directory !== '' && executable(join(directory, name))) return join(directory, name);
  }
  return undefined;
}

function execAsync(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Root cannot run PostgreSQL: use the `postgres` account through runuser (or su). Others run it directly. */
function createRunner(): Runner {
  if (process.getuid?.() !== 0) {
    return {
      run: execAsync,
      runSync: (file, args) => execFileSync(file, args, { stdio: 'ignore', timeout: 30_000 }),
      owner: undefined,
    };
  }
  let owner: { uid: number; gid: number };
  try {
    owner = {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error('running as root, but there is no `postgres` user to run the PostgreSQL server as');
  }
  const runuser = findOnPath('runuser');
  const wrap = (file: string, args: readonly string[]): [string, string[]] =>
    runuser !== undefined
      ? [runuser, ['-u', 'postgres', '--', file, ...args]]
      : ['su', ['postgres', '-s', '/bin/sh', '-c', [file, ...args].map(shellQuote).join(' ')]];
  return {
    run: (file, args) => execAsync(...wrap(file, args)),
    runSync: (file, args) => {
      const [command, wrapped] = wrap(file, args);
      execFileSync(command, wrapped, { stdio: 'ignore', timeout: 30_000 });
    },
    owner,
  };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

async function createDatabase(port: number, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}

async function startOnFreePort(
  runner: Runner,
  binaries: PostgresBinaries,
  dir: string,
  dataDir: string,
): Promise<number> {
  let lastError: unknown;
  // A free port can be taken between the probe and the start: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freeLoopbackPort();
    const serverOptions = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${shellQuote(dir)}`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
      '-c max_connections=50 -c shared_buffers=16MB',
    ].join(' ');
    try {
      const log = join(dir, 'server.log');
      await runner.run(binaries.pgCtl, ['-D', dataDir, '-l', log, '-w', '-t', '30', '-o', serverOptions, 'start']);
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('pg_ctl start failed');
}

/**
 * Starts a private PostgreSQL server. Throws {@link POSTGRES_NOT_FOUND_MESSAGE} when no binaries are installed.
 * The server is also stopped when the test process exits without calling `stop()`.
 */
export async function startPostgresServer(
  options: {
    readonly database?: string;
    /** Where to look for the binaries (default: {@link findPostgresBinaries} with the process environment). */
    readonly find?: () => PostgresBinaries | undefined;
  } = {},
): Promise<PostgresServer> {
  const binaries = (options.find ?? findPostgresBinaries)();
  if (binaries === undefined) throw new Error(POSTGRES_NOT_FOUND_MESSAGE);
  const runner = createRunner();
  const dir = await mkdtemp(join(tmpdir(), 'medledger-pg-'));
  if (!/^[\w./-]+$/.test(dir)) throw new Error(`unusable temp dir for PostgreSQL: ${dir}`);
  const dataDir = join(dir, 'data');
  if (runner.owner !== undefined) await chown(dir, runner.owner.uid, runner.owner.gid);
  let pid: number | undefined;
  const stopSync = (): void => {
    // Process exit without stop(): immediate shutdown of our postmaster only, then remove its files.
    try {
      runner.runSync(binaries.pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      if (pid !== undefined) killQuietly(pid);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await runner.run(binaries.initdb, [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    const port = await startOnFreePort(runner, binaries, dir, dataDir);
    process.once('exit', stopSync);
    pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const database = options.database ?? 'medledger_test';
    await createDatabase(port, database);
    const startedPid = pid;
    return {
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/${database}`,
      port,
      pid: startedPid,
      dir,
      stop: async () => {
        process.removeListener('exit', stopSync);
        try {
          await runner.run(binaries.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
        } catch {
          killQuietly(startedPid);
        }
        // pg_ctl returns once postmaster.pid is gone, just before the process ends.
        await waitForExit(startedPid, 10_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.removeListener('exit', stopSync);
    const log = join(dir, 'server.log');
    const detail = existsSync(log) ? `\n${readFileSync(log, 'utf8').slice(-2000)}` : '';
    stopSync();
    throw new Error(`could not start a test PostgreSQL server: ${String(error)}${detail}`, { cause: error });
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // Already gone.
  }
}

/** Whether `pid` has ended (a zombie awaiting its reaper counts as ended). */
export function processEnded(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!processEnded(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
