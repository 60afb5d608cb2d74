import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Medledger } from '@medledger/server';
import type { Logger } from '@medledger/server';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import { serverConfig } from './start.js';

/** The integrity report, as `IntegrityService.verify` returns it and `POST /api/network/verify` sends it. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly ledger: {
    readonly ok: boolean;
    readonly blocksChecked: number;
    readonly transactionsChecked: number;
    readonly firstBadBlock?: number;
    readonly problems: readonly string[];
    readonly warnings?: readonly string[];
    readonly tip?: { readonly height: number; readonly hash: string };
  };
  readonly recordsChecked: number;
  readonly recordsErased: number;
  readonly problems: readonly {
    readonly recordId: string;
    readonly version: number;
    readonly custodian: string;
    readonly status: string;
    readonly detail?: string;
  }[];
}

/** The server's log as notes on stderr: warnings and errors always, info only with --debug. */
export function stderrLogger(ctx: Context): Logger {
  const write = (level: string, details: object, message: string): void => {
    const extra = ctx.options.debug === true ? ` ${JSON.stringify(details)}` : '';
    ctx.out.note(`${level}: ${message}${extra}`);
  };
  return {
    info: (details, message) => {
      if (ctx.options.debug === true) write('info', details, message);
    },
    warn: (details, message) => {
      write('warning', details, message);
    },
    error: (details, message) => {
      write('error', details, message);
    },
  };
}

/** Opens the data directory in this process (the server must not be writing to it) and verifies everything. */
async function verifyInProcess(ctx: Context): Promise<VerifyReport> {
  const dataDir = ctx.dataDir();
  if (!existsSync(join(dataDir, 'ledger'))) {
    throw usageError(`no Medledger data in ${dataDir} (no ledger/ directory): pass --data-dir, or --url for a server`);
  }
  const config = serverConfig({ ...ctx.env, MEDLEDGER_DATA_DIR: dataDir, MEDLEDGER_DEMO: 'false' });
  let medledger: Medledger;
  try {
    medledger = await Medledger.open(config, { log: stderrLogger(ctx) });
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(EXIT.failure, `cannot open ${dataDir}: ${reason}`, { cause: error });
  }
  try {
    return await medledger.integrity.verify();
  } finally {
    await medledger.close();
  }
}

function printReport(ctx: Context, report: VerifyReport): void {
  const { out } = ctx;
  const mark = (ok: boolean): string => (ok ? out.color.green('ok') : out.color.red('FAILED'));
  const { ledger } = report;
  out.line(
    `Ledger:  ${ledger.blocksChecked} blocks, ${ledger.transactionsChecked} transactions checked (hash chain, signatures, validation, world state): ${mark(ledger.ok)}`,
  );
  if (ledger.tip !== undefined) out.line(`         tip: height ${ledger.tip.height}, hash ${ledger.tip.hash}`);
  const recordsOk = report.problems.length === 0;
  out.line(
    `Records: ${report.recordsChecked} record versions checked against their ledger hashes (${report.recordsErased} erased, tombstones checked): ${mark(recordsOk)}`,
  );
  const problems = [
    ...(ledger.firstBadBlock === undefined ? [] : [`ledger: first bad block is ${ledger.firstBadBlock}`]),
    ...ledger.problems.map((problem) => `ledger: ${problem}`),
    ...report.problems.map(
      (p) =>
        `record ${p.recordId} version ${p.version} (custodian ${p.custodian}): ${p.status}${p.detail === undefined ? '' : ` (failed check: ${p.detail})`}`,
    ),
  ];
  for (const problem of problems) out.line(`  ${out.color.red('✗')} ${problem}`);
  for (const warning of ledger.warnings ?? []) out.line(`  ${out.color.yellow('!')} ${warning}`);
  out.line(
    report.ok
      ? out.color.green('Integrity verified: no problem found.')
      : out.color.red(`Integrity check FAILED: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`),
  );
}

async function verify(ctx: Context): Promise<ExitCode> {
  const report = ctx.prefersHttp()
    ? await (await ctx.api()).post<VerifyReport>('/api/network/verify')
    : await verifyInProcess(ctx);
  if (ctx.out.json) ctx.out.data(report);
  else printReport(ctx, report);
  return report.ok ? EXIT.ok : EXIT.failure;
}

export const registerVerify: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('verify')
      .summary('full integrity check of the ledger and every record (exit 1 on any problem)')
      .description(
        'full integrity check: blocks, signatures, world state, and every record version against its ledger hashes; ' +
          'exit 1 on any problem. In-process on --data-dir (stop the server first), or over HTTP with --url as an administrator',
      )
      .action(wrap((ctx) => verify(ctx))),
    [
      'medledger verify                                   # in-process on ./data (or MEDLEDGER_DATA_DIR)',
      'medledger verify --data-dir /srv/medledger --json',
      'medledger verify --url http://127.0.0.1:8080 --user admin.hospa',
    ],
  );
};
