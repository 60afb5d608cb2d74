import { Command, CommanderError, Option } from 'commander';
import { createColors } from 'picocolors';
import { createWrap } from './command.js';
import type { CommandRegistration } from './command.js';
import { registerAccess } from './commands/access.js';
import { registerAccount } from './commands/account.js';
import { registerAnalytics } from './commands/analytics.js';
import { registerAudit } from './commands/audit.js';
import { registerBench } from './commands/bench.js';
import { registerConsent } from './commands/consent.js';
import { registerDemo } from './commands/demo.js';
import { registerErase } from './commands/erase.js';
import { registerImport } from './commands/import.js';
import { registerKeys } from './commands/keys.js';
import { registerNetwork } from './commands/network.js';
import { registerStart } from './commands/start.js';
import { registerUsers } from './commands/users.js';
import { registerVerify } from './commands/verify.js';
import type { Context, GlobalOptions } from './context.js';
import { CliError, EXIT } from './errors.js';
import type { ExitCode } from './errors.js';
import type { CliDeps } from './io.js';

export const VERSION = '0.1.0';

const COMMANDS: readonly CommandRegistration[] = [
  registerStart,
  registerDemo,
  registerVerify,
  registerImport,
  registerConsent,
  registerAccess,
  registerAudit,
  registerErase,
  registerUsers,
  registerAccount,
  registerKeys,
  registerNetwork,
  registerBench,
  registerAnalytics,
];

const OVERVIEW = `
Exit codes: 0 ok, 1 failure or problem found, 2 usage or configuration error, 3 server unreachable,
4 authentication or authorization refused.

Examples:
  $ medledger demo --data-dir ./demo-data             # a demo network with a synthetic population, then:
  $ medledger start --data-dir ./demo-data            # the server on http://127.0.0.1:8080 (as npm start)
  $ medledger verify --data-dir ./data                # full integrity check, in-process
  $ MEDLEDGER_PASSWORD=medledger-demo medledger consent list --user alice
  $ medledger audit --user alice --json | jq length
  $ medledger <command> --help                        # each command's options and examples
`;

function buildProgram(
  deps: CliDeps,
  setExitCode: (code: ExitCode) => void,
  onContext: (ctx: Context) => void,
): Command {
  const red = errorColor(deps);
  const program = new Command('medledger')
    .description('Medledger: patient-controlled health records on a permissioned ledger')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option('--url <base>', 'talk to a running server (env MEDLEDGER_URL; default ' + 'http://127.0.0.1:8080)'),
    )
    .addOption(new Option('--token <jwt>', 'access token (env MEDLEDGER_TOKEN)'))
    .addOption(
      new Option(
        '--user <name>',
        'sign in as this user (env MEDLEDGER_USER); password from MEDLEDGER_PASSWORD or a prompt',
      ),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'in-process commands: the data directory (env MEDLEDGER_DATA_DIR; default ./data)',
      ),
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'stack traces on errors')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        deps.stdout.write(text);
      },
      writeErr: (text) => {
        deps.stderr.write(text);
      },
      outputError: (text, write) => {
        write(red(text));
      },
      getOutHelpWidth: () => deps.stdout.columns ?? 100,
      getErrHelpWidth: () => deps.stderr.columns ?? 100,
    })
    .showHelpAfterError('(see medledger --help)')
    .addHelpText('after', OVERVIEW);
  const wrap = createWrap(deps, setExitCode, onContext);
  for (const register of COMMANDS) register(program, wrap);
  return program;
}

function errorColor(deps: CliDeps): (text: string) => string {
  return createColors(deps.stderr.isTTY && (deps.env.NO_COLOR ?? '') === '').red;
}

/** The error as --json prints it on stderr: the message, the exit code and the HTTP status when there was one. */
function errorJson(message: string, code: ExitCode, error: unknown): string {
  const status = error instanceof CliError ? error.details.status : undefined;
  return JSON.stringify({ error: message, exitCode: code, ...(status === undefined ? {} : { status }) });
}

/** One line on stderr (JSON with --json), the stack only with --debug; returns the exit code. */
function report(deps: CliDeps, options: GlobalOptions, error: unknown): ExitCode {
  const code: ExitCode = error instanceof CliError ? error.exitCode : EXIT.failure;
  const message = error instanceof Error ? error.message : String(error);
  const line =
    options.json === true
      ? errorJson(message, code, error)
      : `${errorColor(deps)('medledger:')} ${message.split('\n').join('\n  ')}`;
  deps.stderr.write(`${line}\n`);
  if (options.debug === true && error instanceof Error) deps.stderr.write(`${error.stack ?? ''}\n`);
  return code;
}

/**
 * Runs the `medledger` command with `argv` (the arguments after the program name) and returns its exit code. It never
 * calls process.exit: bin/medledger.mjs does, and tests call this function in-process with their own `deps`.
 */
export async function main(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  let ctx: Context | undefined;
  const program = buildProgram(
    deps,
    (code) => {
      exitCode = code;
    },
    (created) => {
      ctx = created;
    },
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      // commander has already printed the help, the version or the usage error.
      return ['commander.helpDisplayed', 'commander.version'].includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    // Before a command ran (no context), the flags are read from argv.
    const options = ctx?.options ?? { json: argv.includes('--json'), debug: argv.includes('--debug') };
    return report(deps, options, error);
  }
}
