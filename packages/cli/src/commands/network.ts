import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import type { ExitCode } from '../errors.js';
import { repositoryRoot, runScript } from '../scripts.js';

interface BuildOptions {
  readonly force?: boolean;
  readonly only?: string;
}

/** Where network/build.sh puts each binary, relative to its cache folder. */
const BINARIES: readonly { readonly name: string; readonly path: string; readonly component: 'fabric' | 'ca' }[] = [
  ...['peer', 'orderer', 'osnadmin', 'configtxgen', 'configtxlator', 'cryptogen'].map((name) => ({
    name,
    path: join('bin', name),
    component: 'fabric' as const,
  })),
  ...['detect', 'build', 'release'].map((name) => ({
    name: `ccaas ${name}`,
    path: join('builders', 'ccaas', 'bin', name),
    component: 'fabric' as const,
  })),
  ...['fabric-ca-server', 'fabric-ca-client'].map((name) => ({
    name,
    path: join('bin', name),
    component: 'ca' as const,
  })),
];

/** Why there is no Fabric network here (issue 5; network/README.md "Status"). */
export const FABRIC_BLOCKED =
  "no peer or orderer binary is built (medledger network build builds them; on this project's machines it cannot: " +
  'the Go module proxy refuses github.com/hyperledger/fabric at every pinned reference, HTTP 403; see ' +
  'network/README.md and issue 5). The embedded ledger runs the same contract: medledger start';

/** The network scripts after the build (crypto material, channel, chaincode-as-a-service deploy) do not exist yet. */
const NOT_WRITTEN =
  'the Fabric binaries are built, but the network scripts (crypto material, channel, chaincode-as-a-service deploy, ' +
  'issue 5) are not written yet: they could not be tested without the binaries';

function buildScript(): { root: string; script: string } {
  const root = repositoryRoot();
  return { root, script: join(root, 'network', 'build.sh') };
}

async function build(ctx: Context, options: BuildOptions): Promise<ExitCode> {
  const { root, script } = buildScript();
  const args = [
    script,
    ...(options.force === true ? ['--force'] : []),
    ...(options.only === undefined ? [] : ['--only', options.only]),
  ];
  const run = await runScript(ctx.deps, 'bash', args, { cwd: root, capture: ctx.out.json });
  // build.sh: 0 built or up to date, 2 bad argument, 3 the proxy serves no pinned Fabric reference, 1 anything else.
  const code: ExitCode = run.code === 0 ? EXIT.ok : run.code === 2 ? EXIT.usage : EXIT.failure;
  if (ctx.out.json) {
    ctx.out.data({
      ok: run.code === 0,
      exitCode: code,
      scriptExitCode: run.code,
      ...(run.code === 3 ? { reason: FABRIC_BLOCKED } : {}),
      output: `${run.stdout}${run.stderr}`.split('\n').filter((line) => line !== ''),
    });
  } else if (run.code === 3) {
    ctx.out.note(
      'medledger: Fabric cannot be built here: the Go module proxy refuses github.com/hyperledger/fabric (network/README.md, ' +
        "issue 5); 'medledger network build --only ca' builds Fabric CA alone",
    );
  }
  return code;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function manifest(dir: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'VERSION'), 'utf8');
  } catch {
    return undefined;
  }
  const entries = text
    .split('\n')
    .map((line) => /^([a-z_]+)=(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1] ?? '', match[2] ?? ''] as const);
  return Object.fromEntries(entries);
}

interface CacheState {
  readonly cacheDir: string;
  readonly binaries: Readonly<Record<string, boolean>>;
  readonly fabricBuilt: boolean;
  readonly caBuilt: boolean;
  readonly manifest?: Record<string, string>;
}

async function cacheState(ctx: Context): Promise<CacheState> {
  const { root, script } = buildScript();
  const run = await runScript(ctx.deps, 'bash', [script, '--print-dir'], { cwd: root, capture: true });
  const cacheDir = run.stdout.trim();
  if (run.code !== 0 || cacheDir === '') {
    throw new CliError(EXIT.failure, `network/build.sh --print-dir failed: ${run.stderr.trim() || run.stdout.trim()}`);
  }
  const binaries = Object.fromEntries(BINARIES.map((b) => [b.name, executable(join(cacheDir, b.path))]));
  const built = (component: 'fabric' | 'ca'): boolean =>
    BINARIES.filter((b) => b.component === component).every((b) => binaries[b.name] === true);
  const found = manifest(cacheDir);
  return {
    cacheDir,
    binaries,
    fabricBuilt: built('fabric'),
    caBuilt: built('ca'),
    ...(found === undefined ? {} : { manifest: found }),
  };
}

async function status(ctx: Context): Promise<ExitCode> {
  const state = await cacheState(ctx);
  const reason = state.fabricBuilt ? NOT_WRITTEN : FABRIC_BLOCKED;
  if (ctx.out.json) {
    ctx.out.data({ running: false, reason, ...state });
    return EXIT.failure;
  }
  const { out } = ctx;
  out.line(`Fabric network: ${out.color.red('not running')}`);
  out.line(`  ${reason}`);
  out.line(`Binaries (network/build.sh cache): ${state.cacheDir}`);
  const width = Math.max(...BINARIES.map((b) => b.name.length));
  for (const b of BINARIES) {
    out.line(
      `  ${b.name.padEnd(width)}  ${state.binaries[b.name] === true ? out.color.green('built') : out.color.dim('missing')}`,
    );
  }
  out.line(
    state.manifest === undefined
      ? 'Manifest: none (VERSION is written only when Fabric and Fabric CA are both built)'
      : `Manifest: Fabric ${state.manifest.fabric_version ?? '?'} (commit ${state.manifest.fabric_commit ?? '?'}), Fabric CA ${state.manifest.fabric_ca_version ?? '?'}`,
  );
  return EXIT.failure;
}

async function up(ctx: Context): Promise<ExitCode> {
  const state = await cacheState(ctx);
  throw new CliError(
    EXIT.failure,
    `cannot start a Fabric network: ${state.fabricBuilt ? NOT_WRITTEN : FABRIC_BLOCKED}`,
  );
}

async function down(ctx: Context): Promise<ExitCode> {
  const state = await cacheState(ctx);
  throw new CliError(
    EXIT.failure,
    `no Fabric network to stop: network up has never started one (${state.fabricBuilt ? NOT_WRITTEN : FABRIC_BLOCKED})`,
  );
}

export const registerNetwork: CommandRegistration = (program, wrap) => {
  const network = examples(
    program
      .command('network')
      .summary('the real Hyperledger Fabric network: build binaries; up/down/status (blocked here, see status)')
      .description(
        'the real Hyperledger Fabric network mode (network/README.md). build runs network/build.sh; up, down and ' +
          'status report that the mode is blocked on this machine (the Go module proxy refuses Fabric) and exit 1',
      ),
    ['medledger network build', 'medledger network status --json', 'medledger network build --only ca'],
  );
  examples(
    network
      .command('build')
      .description(
        'build the pinned Fabric v3.1.5 and Fabric CA v1.5.21 binaries into a cache outside the checkout ' +
          '(network/build.sh: idempotent, a rerun only checks versions). Exit 1 when the proxy refuses Fabric',
      )
      .option('--force', 'rebuild even if the cache is up to date')
      .option('--only <component>', 'fabric or ca')
      .action(wrap<BuildOptions>((ctx, _args, options) => build(ctx, options))),
    [
      'medledger network build',
      'medledger network build --only ca',
      'MEDLEDGER_FABRIC_CACHE=/opt/fabric medledger network build --force',
    ],
  );
  examples(
    network
      .command('status')
      .description('what is built in the binary cache, and whether a network runs (exit 0 only when one runs)')
      .action(wrap((ctx) => status(ctx))),
    ['medledger network status', 'medledger network status --json | jq .binaries'],
  );
  examples(
    network
      .command('up')
      .description('start the five-organisation Fabric network (blocked here: reports why, exit 1)')
      .action(wrap((ctx) => up(ctx))),
    ['medledger network up'],
  );
  examples(
    network
      .command('down')
      .description('stop the Fabric network started by up (none can be started here: reports why, exit 1)')
      .action(wrap((ctx) => down(ctx))),
    ['medledger network down'],
  );
};
