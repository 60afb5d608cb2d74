import { join } from 'node:path';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { EXIT, usageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import { repositoryRoot, runScript } from '../scripts.js';

/** The benchmarks of the checkout (docs/benchmarks.md), by name. */
export const BENCHMARKS = {
  ledger: {
    script: join('packages', 'ledger', 'bench', 'ledger-bench.ts'),
    what: 'embedded ledger: committed PutConsent tx/s and submit→commit latency (npm run bench:ledger)',
  },
  api: {
    script: join('packages', 'server', 'bench', 'api-bench.ts'),
    what: 'HTTP API: authorized reads, creates, Synthea Bundle import (npm run bench:api)',
  },
  generate: {
    script: join('packages', 'analytics', 'bench', 'generate-bench.ts'),
    what: 'synthetic population generator: patients and resources per second, output digest',
  },
} as const;

type BenchmarkName = keyof typeof BENCHMARKS;

function isBenchmark(name: string): name is BenchmarkName {
  return Object.hasOwn(BENCHMARKS, name);
}

async function bench(ctx: Context, name: string, passThrough: readonly string[]): Promise<ExitCode> {
  if (!isBenchmark(name)) {
    throw usageError(`unknown benchmark ${JSON.stringify(name)}: one of ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const root = repositoryRoot();
  const started = Date.now();
  const run = await runScript(
    ctx.deps,
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(root, BENCHMARKS[name].script), ...passThrough],
    // The workspace's tsconfig (decorators for the contract), as bin/medledger.mjs and npm run bench:* use it.
    { cwd: root, capture: ctx.out.json, env: { TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') } },
  );
  const code: ExitCode = run.code === 0 ? EXIT.ok : EXIT.failure;
  if (ctx.out.json) {
    ctx.out.data({
      benchmark: name,
      args: passThrough,
      exitCode: code,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      output: run.stdout.split('\n').filter((line) => line !== ''),
      ...(run.stderr === '' ? {} : { errors: run.stderr.split('\n').filter((line) => line !== '') }),
    });
  } else if (run.code !== 0) {
    ctx.out.note(`medledger: benchmark ${name} failed (exit ${run.code})`);
  }
  return code;
}

export const registerBench: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('bench <benchmark> [options...]')
      .summary('run a benchmark of the checkout: ledger, api or generate (options after --)')
      .description(
        'run one of the benchmarks in docs/benchmarks.md on this machine and print its results; the options after ' +
          '-- go to the benchmark unchanged. ' +
          Object.entries(BENCHMARKS)
            .map(([name, b]) => `${name}: ${b.what}`)
            .join('; '),
      )
      .allowUnknownOption()
      .action(wrap((ctx, [name = '', ...rest]) => bench(ctx, name, rest))),
    [
      'medledger bench ledger                                   # about a minute: 1–512 in flight, then open loop',
      'medledger bench ledger -- --seconds 3 --concurrency 1,8',
      'medledger bench api -- --only reads --seconds 5 --connections 16',
      'medledger bench generate -- 1000 my-seed                 # 1,000 patients',
    ],
  );
};
