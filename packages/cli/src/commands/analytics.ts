import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { renderHtmlReport } from '@medledger/analytics';
import type { Chart, ReportSection } from '@medledger/analytics';
import { ApiClient } from '../api-client.js';
import { examples, list } from '../command.js';
import type { CommandRegistration, Wrap } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import { count, emptySummary, noteCreated, planImport, skip, transactionBundle } from '../fhir-import.js';
import type { ImportSummary, PatientPlan } from '../fhir-import.js';
import { SYSTEM } from '../code-systems.js';
import { inputFiles, readJson, resourcesOfJson } from '../import-files.js';
import { createProgress } from '../progress.js';
import type { Progress } from '../progress.js';

type Json = Record<string, unknown>;

/**
 * An opt-in consent (FHIR-CONVENTIONS §1.1 form): `org` may `action` the patient's data for `purpose`; data labelled
 * restricted (R, i.e. sensitive) stays excluded for payment.
 */
export function optInConsent(patientId: string, org: string, action: string, purpose: string): Json {
  const actor = [
    { role: { coding: [{ system: SYSTEM.participationType, code: 'IRCP' }] }, reference: { reference: org } },
  ];
  const permit = {
    type: 'permit',
    actor,
    action: [{ coding: [{ system: SYSTEM.consentAction, code: action }] }],
    purpose: [{ system: SYSTEM.actReason, code: purpose }],
  };
  const sensitive = { ...permit, type: 'deny', securityLabel: [{ system: SYSTEM.confidentiality, code: 'R' }] };
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: SYSTEM.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: SYSTEM.loinc, code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    policyRule: { coding: [{ system: SYSTEM.actCode, code: 'OPTIN' }] },
    provision: { type: 'deny', provision: purpose === 'HPAYMT' ? [permit, sensitive] : [permit] },
  };
}

/** A stable number in [0, 1) from a seed and a key: the same input always makes the same choice. */
export function share(seed: string, key: string): number {
  return createHash('sha256').update(`${seed}\u0000${key}`).digest().readUInt32BE(0) / 4_294_967_296;
}

function fraction(text: string, what: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1))
    throw usageError(`${what} must be a number from 0 to 1 (got ${JSON.stringify(text)})`);
  return value;
}

interface ImportOptions {
  readonly hospitals: string[];
  readonly admins: string[];
  readonly researchShare: string;
  readonly paymentShare: string;
  readonly seed: string;
}

interface Distribution {
  readonly hospitals: Record<string, number>;
  readonly consents: { research: number; payment: number };
  readonly patients: Array<{ patient: string; hospital: string; research: boolean; payment: boolean }>;
}

/** Signs in every named account with MEDLEDGER_PASSWORD (the demo's accounts share one password). */
async function signInAll(ctx: Context, usernames: readonly string[]): Promise<ApiClient[]> {
  const password = ctx.env.MEDLEDGER_PASSWORD;
  if (password === undefined || password === '')
    throw usageError('set MEDLEDGER_PASSWORD for the --hospitals and --admins accounts');
  const baseUrl = ctx.baseUrl();
  return Promise.all(
    usernames.map(async (username) => new ApiClient(baseUrl, await ApiClient.login(baseUrl, username, password))),
  );
}

/** Sends one patient's transactions as `api`; returns the new Patient's server id, or undefined when refused. */
async function sendPlan(
  api: ApiClient,
  plan: PatientPlan,
  summary: ImportSummary,
  progress: Progress,
): Promise<string | undefined> {
  const created = new Map<string, string>();
  for (const [i, chunk] of plan.chunks.entries()) {
    let response: unknown;
    try {
      response = await api.post('/fhir', transactionBundle(chunk, created));
    } catch (error: unknown) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.failure) throw error;
      const later = plan.chunks.slice(i).flat();
      for (const entry of later) skip(summary, entry.type, `refused by the server: ${error.message.slice(0, 160)}`);
      summary.problems.push(`${plan.label}: transaction ${String(i + 1)} refused: ${error.message}`);
      progress.advance(later.length);
      return undefined;
    }
    summary.transactions += 1;
    for (const [type, n] of Object.entries(noteCreated(chunk, response, created))) count(summary.imported, type, n);
    progress.advance(chunk.length);
  }
  const patientKey = plan.chunks[0]?.find((entry) => entry.type === 'Patient')?.key;
  const reference = patientKey === undefined ? undefined : created.get(patientKey);
  return reference?.startsWith('Patient/') === true ? reference.slice('Patient/'.length) : undefined;
}

/** A patient account (random password, not kept) so the patient can record their own consents, as only they may. */
async function giveConsents(
  admin: ApiClient,
  baseUrl: string,
  patientId: string,
  wanted: { research: boolean; payment: boolean },
): Promise<void> {
  const username = `p-${patientId.slice(3, 19)}`;
  const password = randomBytes(18).toString('base64url');
  await admin.post('/api/admin/users', { username, role: 'patient', patient: patientId, password });
  const patient = new ApiClient(baseUrl, await ApiClient.login(baseUrl, username, password));
  if (wanted.research)
    await patient.post('/fhir/Consent', optInConsent(patientId, 'Organization/ResearchMSP', 'use', 'HRESCH'));
  if (wanted.payment)
    await patient.post('/fhir/Consent', optInConsent(patientId, 'Organization/InsurerMSP', 'access', 'HPAYMT'));
}

function checkImportOptions(options: ImportOptions): { research: number; payment: number } {
  if (options.hospitals.length === 0) throw usageError('--hospitals needs at least one clinician account');
  if (options.admins.length !== options.hospitals.length) {
    throw usageError('--admins names one administrator per --hospitals account (same organisations, same order)');
  }
  return {
    research: fraction(options.researchShare, '--research-share'),
    payment: fraction(options.paymentShare, '--payment-share'),
  };
}

async function readPlans(files: readonly string[], summary: ImportSummary): Promise<PatientPlan[]> {
  const plans: PatientPlan[] = [];
  for (const file of files) {
    const value = await readJson(file, summary);
    const resources = value === undefined ? undefined : resourcesOfJson(value, file, summary);
    if (resources !== undefined) plans.push(...planImport(resources, summary));
  }
  return plans;
}

interface Accounts {
  readonly clinicians: readonly ApiClient[];
  readonly admins: readonly ApiClient[];
}

/** The Patient's own fullUrl (Synthea's urn:uuid), not the file path: the same patient makes the same choices. */
function stableKey(plan: PatientPlan): string {
  return plan.chunks[0]?.find((entry) => entry.type === 'Patient')?.key ?? plan.label;
}

/** Imports one patient at its hospital and records the consents its share gives it. */
async function importPatient(
  ctx: Context,
  plan: PatientPlan,
  accounts: Accounts,
  options: ImportOptions & { research: number; payment: number },
  run: { summary: ImportSummary; progress: Progress; distribution: Distribution },
): Promise<void> {
  const key = stableKey(plan);
  const slot = Math.floor(share(`${options.seed}:hospital`, key) * accounts.clinicians.length);
  const [api, admin, hospital] = [accounts.clinicians[slot], accounts.admins[slot], options.hospitals[slot] ?? ''];
  if (api === undefined || admin === undefined) return;
  const patientId = await sendPlan(api, plan, run.summary, run.progress);
  if (patientId === undefined) return;
  const wanted = {
    research: share(`${options.seed}:research`, key) < options.research,
    payment: share(`${options.seed}:payment`, key) < options.payment,
  };
  if (wanted.research || wanted.payment) await giveConsents(admin, ctx.baseUrl(), patientId, wanted);
  const { distribution } = run;
  distribution.hospitals[hospital] = (distribution.hospitals[hospital] ?? 0) + 1;
  distribution.consents.research += wanted.research ? 1 : 0;
  distribution.consents.payment += wanted.payment ? 1 : 0;
  distribution.patients.push({ patient: `Patient/${patientId}`, hospital, ...wanted });
}

/**
 * Consents recorded on a patient's behalf are synthetic: made only with the demo's administrators, never on a server
 * where the patients are real people who decide for themselves.
 */
async function requireDemoAdmins(admins: readonly ApiClient[], names: readonly string[]): Promise<void> {
  for (const [i, admin] of admins.entries()) {
    const me = await admin.get<{ demo?: boolean }>('/api/whoami');
    if (me.demo !== true) {
      throw usageError(
        `${names[i] ?? 'the administrator'} is not a demo account: consents on the patients' behalf ` +
          '(--research-share, --payment-share) are made only for synthetic data on a demo server; pass 0 for both',
      );
    }
  }
}

async function runDistributedImport(ctx: Context, paths: readonly string[], options: ImportOptions): Promise<ExitCode> {
  const shares = checkImportOptions(options);
  const files = await inputFiles(paths, ctx.deps.cwd);
  if (files.length === 0) throw usageError(`no .json files in ${paths.join(', ')}`);
  const accounts = {
    clinicians: await signInAll(ctx, options.hospitals),
    admins: await signInAll(ctx, options.admins),
  };
  if (shares.research > 0 || shares.payment > 0) await requireDemoAdmins(accounts.admins, options.admins);
  const summary = emptySummary();
  summary.files = files.length;
  const plans = await readPlans(files, summary);
  const total = plans.reduce((n, p) => n + p.size, 0);
  const progress = createProgress(ctx.out.json ? undefined : ctx.deps.progressStream, total, 'resources');
  const distribution: Distribution = { hospitals: {}, consents: { research: 0, payment: 0 }, patients: [] };
  const started = Date.now();
  try {
    for (const plan of plans) {
      await importPatient(ctx, plan, accounts, { ...options, ...shares }, { summary, progress, distribution });
    }
  } finally {
    progress.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  if (ctx.out.json) ctx.out.data({ ...summary, distribution, seconds });
  else printDistribution(ctx, summary, distribution, seconds);
  return summary.problems.length === 0 ? EXIT.ok : EXIT.failure;
}

function printDistribution(ctx: Context, summary: ImportSummary, distribution: Distribution, seconds: number): void {
  const imported = Object.values(summary.imported).reduce((a, b) => a + b, 0);
  ctx.out.line(
    `Imported ${String(imported)} resources of ${String(distribution.patients.length)} patients in ${String(summary.transactions)} transactions, ${seconds.toFixed(1)} s`,
  );
  ctx.out.line(
    `  per type: ${Object.entries(summary.imported)
      .sort()
      .map(([t, n]) => `${t} ${String(n)}`)
      .join(' · ')}`,
  );
  for (const [hospital, n] of Object.entries(distribution.hospitals))
    ctx.out.line(`  ${hospital}: ${String(n)} patients`);
  ctx.out.line(
    `  consents: research (HRESCH) ${String(distribution.consents.research)}, payment (HPAYMT) ${String(distribution.consents.payment)}`,
  );
  for (const [type, reasons] of Object.entries(summary.skipped)) {
    for (const [reason, n] of Object.entries(reasons)) ctx.out.line(`  skipped ${type} ${String(n)}: ${reason}`);
  }
  const cut = Object.values(summary.cutReferences).reduce((a, b) => a + b, 0);
  if (cut > 0) ctx.out.line(`  references cut (target not imported, display kept): ${String(cut)}`);
  for (const problem of summary.problems) ctx.out.line(`  ✗ ${problem}`);
}

function epsilonOf(text: string | undefined): number {
  const value = Number(text);
  if (!(value > 0 && value <= 10)) throw usageError(`--epsilon must be in (0, 10] (got ${JSON.stringify(text)})`);
  return value;
}

function deltaOf(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value <= 1e-3))
    throw usageError(`--delta-budget must be in (0, 0.001] (got ${JSON.stringify(text)})`);
  return value;
}

async function writeOut(ctx: Context, file: string, text: string): Promise<string> {
  const path = resolve(ctx.deps.cwd, file);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

/** The HTML report: study, DP charts (spending `epsilon`), and the latest model's ROC and calibration. */
export async function buildReport(api: ApiClient, studyId: string, epsilon: number, extra: Json = {}): Promise<string> {
  const charts = await api.post<Chart[]>(`/api/studies/${studyId}/charts`, { epsilon, ...extra });
  const study = await api.get<Json>(`/api/studies/${studyId}`);
  const sections: ReportSection[] = [
    {
      heading: 'Study',
      table: [
        ['study', 'purpose', 'status', 'types', 'ε budget', 'ε left'],
        [
          String(study.id),
          String(study.purpose),
          String(study.status),
          (study.resourceTypes as string[]).join(' '),
          String(Number(study.epsilonBudgetMicro) / 1e6),
          String(study.epsilonRemaining),
        ],
      ],
      notes: [`Charts are differentially private releases (ε = ${String(epsilon)} in total, spent on the ledger).`],
    },
    { heading: 'Prevalence and distributions', charts },
  ];
  if (study.purpose !== 'PUBHLTH') {
    const models = await api.get<Json[]>(`/api/studies/${studyId}/models`);
    const model = models.at(-1);
    if (model !== undefined) sections.push(modelSection(model));
  }
  return renderHtmlReport(`Medledger study ${studyId}`, sections);
}

function modelSection(model: Json): ReportSection {
  const coefficients = (model.model as { coefficients: Json[] }).coefficients;
  const roc = (model.roc as Array<{ fpr: number; tpr: number }>).map((p) => ({ x: p.fpr, y: p.tpr }));
  const calibration = (model.calibration as Array<{ meanPredicted: number; observedRate: number }>).map((b) => ({
    x: b.meanPredicted,
    y: b.observedRate,
  }));
  const train = model.train as { n: number; events: number };
  const test = model.test as { n: number; events: number };
  return {
    heading: `Risk model: ${String(model.outcome)} (logistic regression)`,
    notes: [
      `Trained on ${String(train.n)} (${String(train.events)} events), evaluated on ${String(test.n)} held-out patients (${String(test.events)} events); AUC ${Number(model.auc).toFixed(3)}.`,
    ],
    table: [
      ['term', 'estimate', 'SE', 'odds ratio', 'p'],
      ...coefficients.map((c) => [
        String(c.name),
        Number(c.estimate).toFixed(3),
        Number(c.standardError).toFixed(3),
        Number(c.oddsRatio).toFixed(2),
        Number(c.pValue).toExponential(1),
      ]),
    ],
    charts: [
      { kind: 'roc', title: 'ROC curve (held-out)', points: roc, auc: Number(model.auc) },
      { kind: 'calibration', title: 'Calibration (held-out)', points: calibration },
    ],
  };
}

function registerStudyCommands(analytics: Command, wrap: Wrap): void {
  analytics
    .command('studies')
    .summary('list the studies you may see')
    .action(
      wrap(async (ctx) => {
        const studies = await (await ctx.api()).get<Json[]>('/api/studies');
        if (ctx.out.json) ctx.out.data(studies);
        else
          for (const s of studies)
            ctx.out.line(
              `${String(s.id)}  ${String(s.purpose)}  ${String(s.status)}  ε left ${String(s.epsilonRemaining)}`,
            );
        return EXIT.ok;
      }),
    );
  analytics
    .command('propose')
    .summary('propose a study (researcher) or a PUBHLTH programme (public-health)')
    .requiredOption('--protocol <text>', 'the protocol (only its SHA-256 goes on the ledger)')
    .requiredOption('--epsilon <budget>', 'total epsilon budget')
    .option('--types <types>', 'resource types the study needs', list, [])
    .option('--purpose <code>', 'HRESCH (default), a specialisation, or PUBHLTH')
    .option('--delta-budget <delta>', 'total δ of its Gaussian releases (default 1e-5, at most 1e-3)')
    .action(
      wrap<{ protocol: string; epsilon: string; types: string[]; purpose?: string; deltaBudget?: string }>(
        async (ctx, _args, o) => {
          const study = await (
            await ctx.api()
          ).post<Json>('/api/studies', {
            protocol: o.protocol,
            epsilonBudget: epsilonOf(o.epsilon),
            ...(o.deltaBudget === undefined ? {} : { deltaBudget: deltaOf(o.deltaBudget) }),
            ...(o.types.length > 0 ? { resourceTypes: o.types } : {}),
            ...(o.purpose === undefined ? {} : { purpose: o.purpose }),
          });
          if (ctx.out.json) ctx.out.data(study);
          else ctx.out.line(`${String(study.id)} proposed`);
          return EXIT.ok;
        },
      ),
    );
  analytics
    .command('decide <study> <decision>')
    .summary('approve or reject a study (ethics)')
    .action(
      wrap(async (ctx, [studyId = '', decision = '']) => {
        const study = await (await ctx.api()).post<Json>(`/api/studies/${studyId}/decision`, { decision });
        if (ctx.out.json) ctx.out.data(study);
        else ctx.out.line(`${studyId} ${String(study.status)}`);
        return EXIT.ok;
      }),
    );
}

function registerDataCommands(analytics: Command, wrap: Wrap): void {
  analytics
    .command('query <study>')
    .summary('a DP count, histogram, sum or mean (spends epsilon on the ledger)')
    .requiredOption('--epsilon <e>', 'epsilon of this release')
    .option('--kind <kind>', 'count | histogram | sum | mean', 'count')
    .option('--variable <name>', 'age, bmi, systolic, diastolic, glucose, hba1c, cholesterol')
    .option('--condition <name>', 'only patients with hypertension, diabetes, asthma, depression or hiv')
    .option('--group-by <category>', 'histogram over gender, smoking or ageBand')
    .option('--edges <numbers>', 'histogram bin edges of --variable', list, [])
    .option('--mechanism <m>', 'laplace (default) or gaussian')
    .option('--delta <d>', 'delta of the Gaussian mechanism')
    .action(
      wrap<Record<string, string | string[] | undefined>>(async (ctx, [studyId = ''], o) => {
        const edges = (o.edges as string[]).map(Number);
        const release = await (
          await ctx.api()
        ).post<Json>(`/api/studies/${studyId}/aggregates`, {
          kind: o.kind,
          epsilon: epsilonOf(o.epsilon as string),
          ...(o.variable === undefined ? {} : { variable: o.variable }),
          ...(o.condition === undefined ? {} : { condition: o.condition }),
          ...(o.groupBy === undefined ? {} : { groupBy: o.groupBy }),
          ...(edges.length > 0 ? { edges } : {}),
          ...(o.mechanism === undefined ? {} : { mechanism: o.mechanism }),
          ...(o.delta === undefined ? {} : { delta: Number(o.delta) }),
        });
        if (ctx.out.json) ctx.out.data(release);
        else
          ctx.out.line(
            `${JSON.stringify(release.value)}  (${String(release.mechanism)}, ε ${String(release.epsilon)}, scale ${String(release.scale)})`,
          );
        return EXIT.ok;
      }),
    );
  analytics
    .command('export <study>')
    .summary('de-identified export (Safe Harbor + k-anonymity) as NDJSON or CSV')
    .requiredOption('--out <file>', 'where to write the data')
    .option('--format <format>', 'ndjson or csv', 'ndjson')
    .option('--k <k>', 'k-anonymity', '5')
    .action(
      wrap<{ out: string; format: string; k: string }>(async (ctx, [studyId = ''], o) => {
        const result = await (
          await ctx.api()
        ).post<Json>(`/api/studies/${studyId}/export`, { format: o.format, k: Number(o.k) });
        const path = await writeOut(ctx, o.out, String(result.data));
        if (ctx.out.json) ctx.out.data({ file: path, report: result.report });
        else ctx.out.line(`wrote ${path}; report: ${JSON.stringify(result.report)}`);
        return EXIT.ok;
      }),
    );
  analytics
    .command('train <study>')
    .summary('train and evaluate the type 2 diabetes risk model on the de-identified cohort')
    .option('--seed <seed>', 'seeds the held-out split', 'medledger')
    .option('--test-fraction <share>', 'share of patients held out for evaluation', '0.3')
    .option('--predictors <keys>', 'age, bmi, glucose, hba1c, systolic, smoking (default all)', list, [])
    .option('--ridge <lambda>', 'L2 penalty for small cohorts (default 0: maximum likelihood)')
    .action(
      wrap<{ seed: string; testFraction: string; predictors: string[]; ridge?: string }>(
        async (ctx, [studyId = ''], o) => {
          const api = await ctx.api();
          const model = await api.post<Json>(`/api/studies/${studyId}/models`, {
            seed: o.seed,
            testFraction: fraction(o.testFraction, '--test-fraction'),
            ...(o.predictors.length > 0 ? { predictors: o.predictors } : {}),
            ...(o.ridge === undefined ? {} : { ridge: Number(o.ridge) }),
          });
          if (ctx.out.json) ctx.out.data(model);
          else
            ctx.out.line(
              `${String(model.id)}: AUC ${Number(model.auc).toFixed(3)} on ${String((model.test as Json).n)} held-out patients`,
            );
          return EXIT.ok;
        },
      ),
    );
  analytics
    .command('report')
    .summary('a self-contained HTML/SVG report: DP prevalence by month and region, distributions, ROC')
    .requiredOption('--study <id>', 'the study')
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--epsilon <e>', 'epsilon the charts spend in total', '0.4')
    .option('--condition <name>', 'condition of the prevalence chart', 'diabetes')
    .option('--from <YYYY-MM>', 'first month of the prevalence chart')
    .option('--to <YYYY-MM>', 'last month')
    .option('--interval <interval>', 'prevalence by month, quarter or year', 'month')
    .action(
      wrap<{
        study: string;
        out: string;
        epsilon: string;
        condition: string;
        interval: string;
        from?: string;
        to?: string;
      }>(async (ctx, _args, o) => {
        const html = await buildReport(await ctx.api(), o.study, epsilonOf(o.epsilon), {
          condition: o.condition,
          interval: o.interval,
          ...(o.from === undefined ? {} : { from: o.from }),
          ...(o.to === undefined ? {} : { to: o.to }),
        });
        const path = await writeOut(ctx, o.out, html);
        if (ctx.out.json) ctx.out.data({ file: path, bytes: html.length });
        else ctx.out.line(`wrote ${path}`);
        return EXIT.ok;
      }),
    );
}

const SUBCOMMAND_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  studies: ['medledger analytics studies --user irb.ines'],
  propose: [
    'medledger analytics propose --protocol "T2D risk v1" --epsilon 2 --types Observation,Condition --user res.rosa',
    'medledger analytics propose --purpose PUBHLTH --protocol "Diabetes surveillance" --epsilon 5 --user ph.olive',
  ],
  decide: ['medledger analytics decide st-… approve --user irb.ines'],
  query: [
    'medledger analytics query st-… --epsilon 0.1 --user res.rosa',
    'medledger analytics query st-… --kind histogram --group-by ageBand --epsilon 0.2 --user ph.olive',
    'medledger analytics query st-… --kind mean --variable bmi --epsilon 0.2 --mechanism gaussian --user res.rosa',
  ],
  export: ['medledger analytics export st-… --format csv --out cohort.csv --user res.rosa'],
  train: ['medledger analytics train st-… --seed s1 --predictors age,bmi,hba1c --user res.rosa'],
  report: ['medledger analytics report --study st-… --out report.html --epsilon 0.4 --user res.rosa'],
};

export const registerAnalytics: CommandRegistration = (program, wrap) => {
  const analytics = program
    .command('analytics')
    .summary('research studies, DP aggregates, de-identified exports, models, reports (issue 7)');
  examples(
    analytics
      .command('import <paths...>')
      .summary('import Synthea/FHIR Bundles over several hospitals and give a share of patients consents')
      .requiredOption(
        '--hospitals <users>',
        'clinician accounts, one per organisation (patients spread by a stable hash)',
        list,
      )
      .requiredOption(
        '--admins <users>',
        'the administrators of the same organisations (create patient accounts)',
        list,
      )
      .option('--research-share <0..1>', 'share of patients who consent to research (HRESCH, ResearchMSP)', '0.5')
      .option('--payment-share <0..1>', 'share of patients who consent to payment (HPAYMT, InsurerMSP)', '0.3')
      .option('--seed <seed>', 'seeds the stable choices', 'medledger')
      .action(wrap<ImportOptions>((ctx, paths, options) => runDistributedImport(ctx, paths, options))),
    [
      'MEDLEDGER_PASSWORD=medledger-demo medledger analytics import ../shared/data/synthea-r4 --hospitals dr.grey,dr.house --admins admin.hospa,admin.hospb --research-share 0.6',
    ],
  );
  registerStudyCommands(analytics, wrap);
  registerDataCommands(analytics, wrap);
  for (const sub of analytics.commands) {
    const lines = SUBCOMMAND_EXAMPLES[sub.name()];
    if (lines !== undefined) examples(sub, lines);
  }
  examples(analytics, [
    'medledger analytics propose --protocol "T2D risk v1" --epsilon 2 --types Observation,Condition --user res.rosa',
    'medledger analytics decide st-… approve --user irb.ines',
    'medledger analytics query st-… --kind mean --variable bmi --epsilon 0.2 --mechanism gaussian --user res.rosa',
    'medledger analytics report --study st-… --out report.html --user res.rosa',
  ]);
};
