import type { ApiClient } from '../api-client.js';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import { count, emptySummary, noteCreated, planImport, skip, transactionBundle } from '../fhir-import.js';
import type { ImportSummary, PatientPlan, SourceResource } from '../fhir-import.js';
import { inputFiles, isNdjson, readJson, readNdjson, resourcesOfJson } from '../import-files.js';
import { createProgress } from '../progress.js';
import type { Progress } from '../progress.js';

interface ImportOptions {
  readonly concurrency: string;
  readonly dryRun?: boolean;
}

/** What the first pass found: Bundle files (each planned on its own), loose resources (planned together), the size. */
interface Scan {
  readonly bundles: string[];
  readonly loose: PatientPlan[];
  readonly total: number;
}

const size = (plans: readonly PatientPlan[]): number => plans.reduce((sum, plan) => sum + plan.size, 0);

/**
 * Reads everything once to find unreadable files and the total for the progress bar. Bundle files are read again
 * when sent (so a large Synthea directory is never all in memory); NDJSON lines and single resources may reference
 * each other across files, so they are planned together.
 */
async function scan(files: readonly string[], summary: ImportSummary): Promise<Scan> {
  const bundles: string[] = [];
  const loose: SourceResource[] = [];
  let total = 0;
  for (const file of files) {
    if (isNdjson(file)) {
      loose.push(...(await readNdjson(file, summary)));
      continue;
    }
    const value = await readJson(file, summary);
    const resources = value === undefined ? undefined : resourcesOfJson(value, file, summary);
    if (resources === undefined) continue;
    if ((value as { resourceType?: unknown }).resourceType === 'Bundle') {
      bundles.push(file);
      total += size(planImport(resources, emptySummary()));
    } else loose.push(...resources);
  }
  const plans = planImport(loose, summary);
  return { bundles, loose: plans, total: total + size(plans) };
}

/** Called when all of a patient's transactions committed, with what they created (entry key → `Type/id`). */
export type OnPatientImported = (plan: PatientPlan, created: ReadonlyMap<string, string>) => void;

/** Sends planned patients as transaction Bundles (`import`, and `demo` for its synthetic population). */
export class Sender {
  #fatal: Error | undefined;

  constructor(
    private readonly api: ApiClient | undefined,
    private readonly summary: ImportSummary,
    private readonly progress: Progress,
    private readonly concurrency: number,
    private readonly onPatient?: OnPatientImported,
  ) {}

  /** Sends the plans, `concurrency` patients at a time; stops at the first error that is not about the data. */
  async send(plans: readonly PatientPlan[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let plan = plans[next++]; plan !== undefined && this.#fatal === undefined; plan = plans[next++]) {
        await this.sendPlan(plan);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, plans.length) }, () => worker()));
    if (this.#fatal !== undefined) throw this.#fatal;
  }

  private async sendPlan(plan: PatientPlan): Promise<void> {
    const created = new Map<string, string>();
    for (const [i, chunk] of plan.chunks.entries()) {
      if (this.api === undefined) {
        for (const entry of chunk) count(this.summary.imported, entry.type);
        this.summary.transactions += 1;
        this.progress.advance(chunk.length);
        continue;
      }
      let response: unknown;
      try {
        response = await this.api.post('/fhir', transactionBundle(chunk, created));
      } catch (error: unknown) {
        if (!(error instanceof CliError) || error.exitCode !== EXIT.failure) {
          this.#fatal ??= error instanceof Error ? error : new Error(String(error));
          return;
        }
        this.refused(plan, i, error.message);
        return;
      }
      this.summary.transactions += 1;
      for (const [type, n] of Object.entries(noteCreated(chunk, response, created)))
        count(this.summary.imported, type, n);
      this.progress.advance(chunk.length);
    }
    this.onPatient?.(plan, created);
  }

  /** A refused transaction: its entries and the patient's later ones are skipped, with the server's reason. */
  private refused(plan: PatientPlan, index: number, message: string): void {
    const reason = `refused by the server: ${message.length > 160 ? `${message.slice(0, 157)}…` : message}`;
    const later = plan.chunks.slice(index + 1).flat();
    for (const entry of plan.chunks[index] ?? []) skip(this.summary, entry.type, reason);
    for (const entry of later) skip(this.summary, entry.type, 'an earlier transaction of its patient was refused');
    this.summary.problems.push(`${plan.label}: transaction ${index + 1} of ${plan.chunks.length} refused: ${message}`);
    this.progress.advance((plan.chunks[index]?.length ?? 0) + later.length);
  }
}

function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function printSummary(ctx: Context, summary: ImportSummary, seconds: number, dryRun: boolean): void {
  const { out } = ctx;
  const { color } = out;
  const imported = total(summary.imported);
  const rate = seconds > 0 ? Math.round(imported / seconds) : 0;
  out.line(
    dryRun
      ? `Would import ${imported} resources (${summary.imported.Patient ?? 0} new patients) in ${summary.transactions} transactions, from ${summary.files} files`
      : `${color.green('Imported')} ${imported} resources (${summary.imported.Patient ?? 0} new patients) in ${summary.transactions} transactions from ${summary.files} files, ${seconds.toFixed(1)} s (${rate} resources/s)`,
  );
  const types = Object.entries(summary.imported).sort(([a], [b]) => a.localeCompare(b));
  if (types.length > 0) out.line(`  ${types.map(([type, n]) => `${type} ${n}`).join(' · ')}`);
  const skipped = Object.entries(summary.skipped).flatMap(([type, reasons]) =>
    Object.entries(reasons).map(([reason, n]) => [type, String(n), reason] as const),
  );
  if (skipped.length > 0) {
    out.line(`${color.yellow('Skipped')} ${skipped.reduce((sum, [, n]) => sum + Number(n), 0)}:`);
    const width = Math.max(...skipped.map(([type]) => type.length));
    for (const [type, n, reason] of skipped) out.line(`  ${type.padEnd(width)} ${n.padStart(6)}  ${reason}`);
  }
  const cut = Object.entries(summary.cutReferences);
  if (cut.length > 0) {
    out.line(`References cut (their target is not imported; a display is kept): ${total(summary.cutReferences)}`);
    for (const [path, n] of cut.sort(([, a], [, b]) => b - a).slice(0, 10)) out.line(`  ${path}  ${n}`);
    if (cut.length > 10) out.line(`  … ${cut.length - 10} more (--json lists all)`);
  }
  for (const problem of summary.problems) out.line(`  ${color.red('✗')} ${problem}`);
}

function concurrencyOf(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 16) {
    throw usageError(`--concurrency must be an integer from 1 to 16 (got ${JSON.stringify(text)})`);
  }
  return value;
}

/** The second pass: each Bundle file read, planned and sent on its own, then the loose resources together. */
async function sendAll(found: Scan, sender: Sender, summary: ImportSummary): Promise<void> {
  for (const file of found.bundles) {
    const ignored = emptySummary(); // file-level findings were counted by the scan
    const value = await readJson(file, ignored);
    const resources = value === undefined ? undefined : resourcesOfJson(value, file, ignored);
    summary.problems.push(...ignored.problems);
    if (resources !== undefined) await sender.send(planImport(resources, summary));
  }
  await sender.send(found.loose);
}

async function runImport(ctx: Context, paths: readonly string[], options: ImportOptions): Promise<ExitCode> {
  const concurrency = concurrencyOf(options.concurrency);
  const dryRun = options.dryRun === true;
  const files = await inputFiles(paths, ctx.deps.cwd);
  if (files.length === 0) throw usageError(`no .json, .ndjson or .jsonl files in ${paths.join(', ')}`);
  // Sign in first: a wrong password or a server that is down should not wait for the files to be read.
  const api = dryRun ? undefined : await ctx.api();
  const summary = emptySummary();
  summary.files = files.length;
  const found = await scan(files, summary);
  const progress = createProgress(ctx.out.json ? undefined : ctx.deps.progressStream, found.total, 'resources');
  const started = Date.now();
  let failure: Error | undefined;
  try {
    await sendAll(found, new Sender(api, summary, progress, concurrency), summary);
  } catch (error: unknown) {
    failure = error instanceof Error ? error : new Error(String(error));
  } finally {
    progress.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  if (ctx.out.json) {
    const stopped = failure === undefined ? {} : { stoppedBy: failure.message };
    ctx.out.data({ ...summary, dryRun, seconds: Math.round(seconds * 1000) / 1000, ...stopped });
  } else printSummary(ctx, summary, seconds, dryRun);
  if (failure !== undefined) throw failure;
  return summary.problems.length === 0 ? EXIT.ok : EXIT.failure;
}

export const registerImport: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('import <paths...>')
      .summary('import FHIR Bundles, NDJSON or Synthea output (progress bar, summary per type)')
      .description(
        'import FHIR R4 data: Bundles (.json), NDJSON (.ndjson/.jsonl, e.g. Bulk Data exports) or a Synthea output ' +
          "directory, as transaction Bundles of at most 500 records, into the signed-in user's organisation. Only Patient " +
          'and clinical records are stored; everything else is skipped and counted. Exit 1 when a file or transaction failed',
      )
      .option('--concurrency <n>', 'patients sent at the same time', '2')
      .option('--dry-run', 'read and convert only: report what would be imported (no server needed)')
      .action(wrap<ImportOptions>((ctx, paths, options) => runImport(ctx, paths, options))),
    [
      'medledger import ./synthea/output/fhir --user dr.grey',
      'medledger import patients.ndjson observations.ndjson --user dr.house --json',
      'medledger import bundle.json --dry-run',
    ],
  );
};
