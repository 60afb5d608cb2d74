import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createApp, DEMO_PASSWORD, DEMO_STAFF, Medledger, provisionDemo } from '@medledger/server';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { HOSPITALS, importPopulation, populationSize } from '../demo/population.js';
import type { PopulationResult } from '../demo/population.js';
import { runScenario } from '../demo/scenario.js';
import type { ScenarioResult } from '../demo/scenario.js';
import { createProgress } from '../progress.js';
import { serve, serverConfig, serverEnv } from './start.js';
import { stderrLogger } from './verify.js';

interface DemoOptions {
  readonly patients: string;
  readonly seed: string;
  readonly serve?: boolean;
  readonly port?: string;
  readonly host?: string;
}

export const DEFAULT_DEMO_PATIENTS = 50;
const MAX_DEMO_PATIENTS = 5000;

function patientCount(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 2 || value > MAX_DEMO_PATIENTS) {
    throw usageError(`--patients must be an integer from 2 to ${MAX_DEMO_PATIENTS} (got ${JSON.stringify(text)})`);
  }
  return value;
}

/** The demo builds a network from nothing: it never writes into a directory that holds anything. */
function requireEmpty(dataDir: string): void {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch (error: unknown) {
    if ((error as { code?: unknown }).code === 'ENOENT') return;
    if ((error as { code?: unknown }).code === 'ENOTDIR') throw usageError(`${dataDir} is a file, not a directory`);
    throw error;
  }
  if (names.length > 0) {
    throw usageError(
      `${dataDir} is not empty (${names.length} entr${names.length === 1 ? 'y' : 'ies'}): demo builds a new network ` +
        'and never writes into existing data. Pass --data-dir with a new or empty directory',
    );
  }
}

interface DemoResult {
  readonly dataDir: string;
  readonly seconds: number;
  readonly organizations: readonly string[];
  readonly blockHeight: number;
  readonly population: PopulationResult;
  readonly scenario: ScenarioResult;
}

async function build(ctx: Context, count: number, seed: string, options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const dataDir = ctx.dataDir();
  // Its own server for the import, on a free loopback port: logins and transactions are not rate-limited here.
  const config = serverConfig({
    ...serverEnv(ctx, options),
    MEDLEDGER_DATA_DIR: dataDir,
    MEDLEDGER_DEMO: 'true',
    MEDLEDGER_TOKEN_RATE_LIMIT: '100000',
    LOG_LEVEL: ctx.options.debug === true ? 'info' : 'silent',
  });
  const step = (text: string): void => {
    if (!ctx.out.json) ctx.out.note(`${ctx.out.errColor.cyan('›')} ${text}`);
  };
  step(`creating the network of five organisations and the demo accounts in ${dataDir}`);
  let medledger: Medledger;
  try {
    medledger = await Medledger.open(config, { log: stderrLogger(ctx) });
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(EXIT.failure, `cannot create ${dataDir}: ${reason}`, { cause: error });
  }
  try {
    await provisionDemo(medledger);
    const app = await createApp(medledger);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const baseUrl = `http://127.0.0.1:${String((app.server.address() as AddressInfo).port)}`;
      const bar = (total: number, unit: string): ReturnType<typeof createProgress> =>
        createProgress(ctx.out.json ? undefined : ctx.deps.progressStream, total, unit);
      step(`importing ${count} synthetic patients (seed ${JSON.stringify(seed)}) at HospitalA and HospitalB`);
      const importing = bar(populationSize(count, seed), 'resources');
      const population = await importPopulation(baseUrl, DEMO_PASSWORD, { count, seed, progress: importing }).finally(
        () => {
          importing.stop();
        },
      );
      step('patient logins, consents, access requests, a break-glass access and an approved study');
      const acting = bar(population.patients.length, 'patients');
      const scenario = await runScenario(medledger, baseUrl, population.patients, acting).finally(() => {
        acting.stop();
      });
      return {
        dataDir,
        seconds: (Date.now() - started) / 1000,
        organizations: medledger.network.organizations,
        blockHeight: await medledger.network.ledger.height(),
        population,
        scenario,
      };
    } finally {
      await app.close();
    }
  } finally {
    await medledger.close();
  }
}

function sum(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}

function printResult(ctx: Context, result: DemoResult, served: boolean, host: string, port: string): void {
  const { out } = ctx;
  const { population, scenario } = result;
  const perHospital = HOSPITALS.map(
    (h) => `${population.patients.filter((p) => p.hospital === h).length} at ${h.mspId.replace(/MSP$/, '')}`,
  ).join(', ');
  const consents = Object.entries(scenario.consents)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const { pending, approved, denied } = scenario.accessRequests;
  const first = scenario.logins[0]?.username ?? '';
  const last = scenario.logins.at(-1)?.username ?? '';
  out.line(`${out.color.green('Medledger demo ready')} in ${result.dataDir} (${result.seconds.toFixed(1)} s)`);
  out.line(`  Organisations   ${result.organizations.join(', ')} (embedded ledger, ${result.blockHeight} blocks)`);
  out.line(
    `  Patients        ${population.patients.length} synthetic (${perHospital}) + alice, bob; ${sum(population.summary.imported).toLocaleString('en-US')} resources imported`,
  );
  out.line(`  Consents        ${sum(scenario.consents)}: ${consents}`);
  out.line(`  Access requests ${pending} pending, ${approved} approved, ${denied} denied`);
  out.line(
    `  Break-glass     ${scenario.breakGlass.clinician} → bob (${scenario.breakGlass.grantId}), waiting for po.hospb's review`,
  );
  out.line(
    `  Study           ${scenario.study.id} ${scenario.study.status} (${scenario.study.resourceTypes.join(', ')}; epsilon 1)`,
  );
  out.line('');
  if (!served) {
    out.line(`Start it:   ${out.color.bold(`medledger start --data-dir ${result.dataDir}`)}`);
  }
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  out.line(`Web UI:     ${out.color.bold(`${base}/`)} (research portal: sign in as res.rosa; ethics board: irb.ines)`);
  out.line(`API:        ${base}/docs (OpenAPI, try it out) · GET /health · docs/api.md for curl`);
  out.line(`Log in with password ${out.color.bold(DEMO_PASSWORD)} as:`);
  const admins = DEMO_STAFF.filter((person) => person.role === 'admin')
    .map((person) => person.username)
    .join(', ');
  const rows: [string, string][] = [
    ['alice', 'patient (HospitalA): consents, audit trail, pending requests from dr.house and claims.ivy'],
    ['bob', 'patient (HospitalB): an emergency access by dr.grey flagged in his audit trail'],
    [`${first} … ${last}`, 'synthetic patients (001, 003 … at HospitalA; 002, 004 … at HospitalB)'],
    ['dr.grey, dr.house', 'clinicians (HospitalA, HospitalB): their own and consented patients, requests'],
    ['po.hospa, po.hospb', 'privacy officers: po.hospb reviews the break-glass on its patient bob'],
    ['claims.ivy', 'insurer: claims and coverage of patients who consented to payment'],
    ['res.rosa, irb.ines', `researcher and ethics board: study ${scenario.study.id} (charts, model, export)`],
    ['ph.olive', 'public health'],
    ['admin.hospa …', `administrators, one per organisation: ${admins} (users, verify)`],
  ];
  const width = Math.max(...rows.map(([who]) => who.length));
  for (const [who, what] of rows) out.line(`  ${who.padEnd(width)}  ${what}`);
}

async function demo(ctx: Context, options: DemoOptions): Promise<undefined> {
  if (ctx.options.url !== undefined) {
    throw usageError('demo builds a new data directory in this process: --url does not apply (use --data-dir)');
  }
  const count = patientCount(options.patients);
  if (options.seed.trim() === '') throw usageError('--seed must not be empty');
  requireEmpty(ctx.dataDir());
  const result = await build(ctx, count, options.seed, options);
  if (ctx.out.json) {
    const { population, scenario, ...rest } = result;
    ctx.out.data({
      ...rest,
      password: DEMO_PASSWORD,
      patients: population.patients.map((p, i) => ({
        login: scenario.logins[i]?.username,
        patient: p.reference,
        organization: p.hospital.mspId,
      })),
      imported: population.summary.imported,
      skipped: population.summary.skipped,
      transactions: population.summary.transactions,
      consents: scenario.consents,
      accessRequests: scenario.accessRequests,
      breakGlass: scenario.breakGlass,
      study: scenario.study,
    });
  } else {
    const port = options.port ?? (ctx.env.PORT === undefined || ctx.env.PORT === '' ? '8080' : ctx.env.PORT);
    const host = options.host ?? (ctx.env.HOST === undefined || ctx.env.HOST === '' ? '127.0.0.1' : ctx.env.HOST);
    printResult(ctx, result, options.serve === true, host, port);
  }
  if (options.serve === true) {
    return serve(ctx, serverConfig({ ...serverEnv(ctx, options), MEDLEDGER_DATA_DIR: result.dataDir }));
  }
  return undefined;
}

export const registerDemo: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('demo')
      .summary('build a demo network: five organisations, a synthetic population, consents, requests, a study')
      .description(
        'build a complete demo in a new or empty data directory: the five organisations and the demo accounts, a ' +
          'seeded synthetic population imported at HospitalA and HospitalB (with a login per patient), consents of ' +
          'every kind (treatment, payment, research, opt-out), pending access requests, one break-glass access and ' +
          'one approved study; then print what to open and whom to log in as. Refuses a non-empty directory (exit 2)',
      )
      .option('--patients <n>', 'synthetic patients, spread over both hospitals', String(DEFAULT_DEMO_PATIENTS))
      .option('--seed <seed>', 'seed of the synthetic population (same seed, same patients)', 'medledger-demo')
      .option('--serve', 'then run the server on it (as start) until Ctrl-C')
      .option('--port <port>', 'with --serve: listen on this port (env PORT; default 8080)')
      .option('--host <address>', 'with --serve: listen on this address (env HOST; default 127.0.0.1)')
      .action(wrap<DemoOptions>((ctx, _args, options) => demo(ctx, options))),
    [
      'medledger demo --data-dir ./demo-data                 # about half a minute, then: medledger start --data-dir ./demo-data',
      'medledger demo --data-dir ./demo-data --serve         # build it and serve it on http://127.0.0.1:8080',
      'medledger demo --data-dir /tmp/big --patients 500 --seed 7 --json',
    ],
  );
};
