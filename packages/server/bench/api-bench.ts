// HTTP benchmark of the real server (Fastify app, embedded ledger, SQLite vaults) on loopback with autocannon:
//   reads   — GET /fhir/Observation/{id} by dr.grey (HospitalA clinician, alice's home org): each read submits and
//             waits for a committed AuthorizeAccess. Target ≥ 2,000 req/s with p99 ≤ 50 ms.
//   creates — POST /fhir/Observation (one vault write + one RegisterRecord each). Target ≥ 1,000 resources/s.
//   import  — the Synthea R4 bundles as POST /fhir transactions (planned by the CLI's converter, packages/cli/src/fhir-import.ts). Target ≥ 3,000 resources/s.
// The server runs in this process (startServer), on a fresh temp data directory, and is stopped at the end.
// Usage: npm run bench:api [-- --seconds 10 --connections 16,64 --bundles 4 --only reads|creates|import]
// Synthea bundles: MEDLEDGER_SYNTHEA_DIR or --synthea (default /work/shared/data/synthea-r4).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DEMO_PASSWORD, loadConfig, startServer } from '../src/index.js';
import { emptySummary, noteCreated, planImport, transactionBundle } from '@medledger/cli';
import type { ImportSummary, PatientPlan, SourceResource } from '@medledger/cli';

const SCENARIOS = ['reads', 'creates', 'import'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16,64' },
    bundles: { type: 'string', default: '1,4' },
    only: { type: 'string' },
    seed: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
    synthea: { type: 'string', default: process.env.MEDLEDGER_SYNTHEA_DIR ?? '/work/shared/data/synthea-r4' },
  },
});

function numbers(text: string, name: string): number[] {
  const list = text.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--${name} must be positive integers, comma-separated (got ${text})`);
  }
  return list;
}

const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const connectionLevels = numbers(values.connections, 'connections');
const bundleLevels = numbers(values.bundles, 'bundles');
const seedCount = numbers(values.seed, 'seed')[0] ?? 50;
if (values.only !== undefined && !(SCENARIOS as readonly string[]).includes(values.only)) {
  throw new Error(`--only must be one of ${SCENARIOS.join(', ')}`);
}
const scenarios: readonly Scenario[] = values.only === undefined ? SCENARIOS : [values.only as Scenario];

const FHIR_JSON = 'application/fhir+json';
const TARGETS = {
  reads: { perSecond: 2000, p99Ms: 50, unit: 'req/s' },
  creates: { perSecond: 1000, p99Ms: undefined, unit: 'resources/s' },
  import: { perSecond: 3000, p99Ms: undefined, unit: 'resources/s' },
} as const;

interface Row {
  readonly scenario: Scenario;
  readonly load: string;
  readonly ok: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Process CPU (all threads) over wall time: 1.0 = one core busy. */
  readonly cores: number;
  /** Other processes' CPU on the machine over the same time (disturbance: should be near 0). */
  readonly otherCores: number;
  readonly blocks: number;
  readonly note?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

class Client {
  constructor(readonly base: string) {}

  async json(path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.base}${path}`, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body };
  }

  async login(username: string): Promise<{ token: string; patient?: string }> {
    const { status, body } = await this.json('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password: DEMO_PASSWORD }).toString(),
    });
    const answer = body as { access_token?: string; patient?: string };
    if (status !== 200 || answer.access_token === undefined) {
      throw new Error(`login ${username}: ${status} ${JSON.stringify(body)}`);
    }
    return { token: answer.access_token, ...(answer.patient === undefined ? {} : { patient: answer.patient }) };
  }

  async height(): Promise<number> {
    const { body } = await this.json('/health', { method: 'GET' });
    return (body as { blockHeight: number }).blockHeight;
  }
}

function observation(patientId: string, n: number): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: `2026-10-${String(1 + (n % 28)).padStart(2, '0')}T09:30:00Z`,
    valueQuantity: { value: 60 + (n % 40), unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

/** Seeds alice's Observations in one transaction; returns their ids. */
async function seed(client: Client, token: string, patientId: string, count: number): Promise<string[]> {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: count }, (_, n) => ({
      resource: observation(patientId, n),
      request: { method: 'POST', url: 'Observation' },
    })),
  };
  const { status, body } = await client.json('/fhir', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': FHIR_JSON },
    body: JSON.stringify(bundle),
  });
  if (status !== 200) throw new Error(`seeding failed: ${status} ${JSON.stringify(body)}`);
  const entries = (body as { entry: Array<{ response: { location: string } }> }).entry;
  return entries.map((e) => e.response.location.split('/')[1] ?? '');
}

/** Busy CPU time of the whole machine so far, in ms (all cores). */
function machineBusyMs(): number {
  return cpus().reduce((sum, cpu) => sum + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
}

async function measure<T>(
  client: Client,
  run: () => Promise<T>,
): Promise<{ value: T; cores: number; otherCores: number; blocks: number }> {
  const before = await client.height();
  const cpu = process.cpuUsage();
  const machine = machineBusyMs();
  const start = performance.now();
  const value = await run();
  const used = process.cpuUsage(cpu);
  const elapsedMs = performance.now() - start;
  const cores = (used.user + used.system) / 1000 / elapsedMs;
  const otherCores = Math.max(0, (machineBusyMs() - machine) / elapsedMs - cores);
  return { value, cores, otherCores, blocks: (await client.height()) - before };
}

async function cannon(
  client: Client,
  scenario: Scenario,
  connections: number,
  durationSeconds: number,
  requests: autocannon.Request[],
): Promise<Row> {
  const {
    value: result,
    cores,
    otherCores,
    blocks,
  } = await measure(client, () =>
    autocannon({ url: client.base, connections, duration: durationSeconds, requests, timeout: 30 }),
  );
  return {
    scenario,
    load: `${connections} connections`,
    ok: result['2xx'],
    failed: result.non2xx + result.errors,
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cores,
    otherCores,
    blocks,
    ...(result.non2xx + result.errors > 0
      ? { note: `non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}` }
      : {}),
  };
}

function readRequests(token: string, ids: readonly string[]): autocannon.Request[] {
  return ids.map((id) => ({
    method: 'GET',
    path: `/fhir/Observation/${id}`,
    headers: { authorization: `Bearer ${token}`, accept: FHIR_JSON },
  }));
}

function createRequests(token: string, patientId: string): autocannon.Request[] {
  return Array.from({ length: 16 }, (_, n) => ({
    method: 'POST',
    path: '/fhir/Observation',
    headers: { authorization: `Bearer ${token}`, 'content-type': FHIR_JSON },
    body: JSON.stringify(observation(patientId, n)),
  }));
}

/** The Synthea bundles planned as the `medledger import` command plans them (one converter for both). */
function loadSynthea(dir: string): { patients: PatientPlan[]; summary: ImportSummary; entries: number } {
  const summary = emptySummary();
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no Synthea bundles (*.json) in ${dir}`);
  let entries = 0;
  const patients = files.flatMap((name) => {
    const bundle = JSON.parse(readFileSync(join(dir, name), 'utf8')) as {
      entry?: Array<{ fullUrl?: string; resource?: unknown }>;
    };
    const items: SourceResource[] = (bundle.entry ?? []).flatMap((entry) =>
      typeof entry.resource === 'object' && entry.resource !== null
        ? [
            {
              source: name,
              ...(entry.fullUrl === undefined ? {} : { fullUrl: entry.fullUrl }),
              resource: entry.resource as Record<string, unknown>,
            },
          ]
        : [],
    );
    entries += items.length;
    summary.files += 1;
    return planImport(items, summary);
  });
  return { patients, summary, entries };
}

interface ImportSample {
  resources: number;
  transactions: number;
  failures: Map<string, number>;
  latencies: number[];
  clientMs: number;
  elapsedMs: number;
}

/** Sends one patient's transactions in order; when one is refused, the patient's later ones are skipped. */
async function importPatient(client: Client, token: string, patient: PatientPlan, sample: ImportSample): Promise<void> {
  const created = new Map<string, string>();
  for (const chunk of patient.chunks) {
    const prepared = performance.now();
    const body = JSON.stringify(transactionBundle(chunk, created));
    const sent = performance.now();
    sample.clientMs += sent - prepared;
    const response = await client.json('/fhir', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': FHIR_JSON },
      body,
    });
    sample.latencies.push(performance.now() - sent);
    if (response.status !== 200) {
      const issue = (response.body as { issue?: Array<{ diagnostics?: string }> }).issue?.[0]?.diagnostics;
      const key = `${response.status} ${issue ?? JSON.stringify(response.body).slice(0, 200)}`;
      sample.failures.set(key, (sample.failures.get(key) ?? 0) + 1);
      return;
    }
    sample.transactions += 1;
    sample.resources += Object.values(noteCreated(chunk, response.body, created)).reduce((a, b) => a + b, 0);
  }
}

/** Closed loop: `concurrency` patients in flight, each its transactions in order, until the time is up. */
async function importLoop(
  client: Client,
  token: string,
  patients: readonly PatientPlan[],
  concurrency: number,
  durationSeconds: number,
): Promise<ImportSample> {
  const sample: ImportSample = {
    resources: 0,
    transactions: 0,
    failures: new Map(),
    latencies: [],
    clientMs: 0,
    elapsedMs: 0,
  };
  let next = 0;
  const start = performance.now();
  const deadline = start + durationSeconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const patient = patients[next++ % patients.length];
      if (patient === undefined) return;
      await importPatient(client, token, patient, sample);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  sample.elapsedMs = performance.now() - start;
  sample.latencies.sort((a, b) => a - b);
  return sample;
}

async function importRow(
  client: Client,
  token: string,
  patients: readonly PatientPlan[],
  concurrency: number,
): Promise<Row> {
  const {
    value: sample,
    cores,
    otherCores,
    blocks,
  } = await measure(client, () => importLoop(client, token, patients, concurrency, seconds));
  const failed = [...sample.failures.values()].reduce((a, b) => a + b, 0);
  const notes = [
    `${sample.transactions} transactions in ${(sample.elapsedMs / 1000).toFixed(1)} s`,
    `client-side JSON ${((sample.clientMs / sample.elapsedMs) * 100).toFixed(1)} % of wall time`,
    ...[...sample.failures].map(([reason, n]) => `${n}× ${reason}`),
  ];
  return {
    scenario: 'import',
    load: `${concurrency} bundle${concurrency === 1 ? '' : 's'} in flight`,
    ok: sample.resources,
    failed,
    perSecond: (sample.resources / sample.elapsedMs) * 1000,
    p50: percentile(sample.latencies, 50),
    p99: percentile(sample.latencies, 99),
    cores,
    otherCores,
    blocks,
    note: notes.join('; '),
  };
}

function verdict(row: Row): string {
  const target = TARGETS[row.scenario];
  const fast = target.p99Ms === undefined || row.p99 <= target.p99Ms;
  return row.perSecond >= target.perSecond && fast && row.failed === 0 ? 'MET' : 'NOT MET';
}

function printRow(row: Row): void {
  console.log(
    `| ${row.scenario} | ${row.load} | ${row.ok} | ${row.failed} | ${row.perSecond.toFixed(0)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.cores.toFixed(2)} | ${row.otherCores.toFixed(2)} | ${row.blocks} | ${verdict(row)} |`,
  );
}

function printPlan(patients: readonly PatientPlan[], summary: ImportSummary, entries: number): void {
  const list = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ${n}`)
      .join(', ');
  const kept = patients.reduce((n, patient) => n + patient.size, 0);
  const transactions = patients.reduce((n, patient) => n + patient.chunks.length, 0);
  const skipped = Object.fromEntries(
    Object.entries(summary.skipped).map(([type, reasons]) => [type, Object.values(reasons).reduce((a, b) => a + b, 0)]),
  );
  const dropped = Object.values(skipped).reduce((a, b) => a + b, 0);
  console.log(
    `Synthea: ${summary.files} bundles, ${entries} entries → ${kept} kept in ${transactions} transactions, ${dropped} dropped`,
  );
  console.log(`  dropped (type not stored by Medledger): ${list(skipped)}`);
  console.log(`  references cut (target dropped; display kept): ${list(summary.cutReferences)}\n`);
}

async function runReads(client: Client, token: string, patientId: string, rows: Row[]): Promise<void> {
  const ids = await seed(client, token, patientId, seedCount);
  const requests = readRequests(token, ids);
  const probe = await client.json(requests[0]?.path ?? '', { headers: { authorization: `Bearer ${token}` } });
  if (probe.status !== 200) throw new Error(`a read fails before the benchmark: ${probe.status}`);
  if (warmupSeconds > 0) await cannon(client, 'reads', 16, warmupSeconds, requests);
  for (const connections of connectionLevels) {
    const row = await cannon(client, 'reads', connections, seconds, requests);
    printRow(row);
    rows.push(row);
  }
}

async function runCreates(client: Client, token: string, patientId: string, rows: Row[]): Promise<void> {
  const requests = createRequests(token, patientId);
  if (warmupSeconds > 0) await cannon(client, 'creates', 16, warmupSeconds, requests);
  for (const connections of connectionLevels) {
    const row = await cannon(client, 'creates', connections, seconds, requests);
    printRow(row);
    rows.push(row);
  }
}

async function runImport(client: Client, token: string, rows: Row[]): Promise<void> {
  const { patients, summary, entries } = loadSynthea(values.synthea);
  printPlan(patients, summary, entries);
  if (warmupSeconds > 0) {
    const warmup: ImportSample = {
      resources: 0,
      transactions: 0,
      failures: new Map(),
      latencies: [],
      clientMs: 0,
      elapsedMs: 0,
    };
    const smallest = [...patients].sort((a, b) => a.size - b.size).slice(0, 2);
    for (const patient of smallest) await importPatient(client, token, patient, warmup);
    if (warmup.failures.size > 0)
      throw new Error(`the import fails before the benchmark: ${[...warmup.failures.keys()].join('; ')}`);
  }
  for (const concurrency of bundleLevels) {
    const row = await importRow(client, token, patients, concurrency);
    printRow(row);
    rows.push(row);
  }
}

async function runScenarios(client: Client, rows: Row[]): Promise<void> {
  const grey = (await client.login('dr.grey')).token;
  const alice = (await client.login('alice')).patient;
  if (alice === undefined) throw new Error('alice has no patient id');
  if (scenarios.includes('reads')) await runReads(client, grey, alice, rows);
  if (scenarios.includes('creates')) await runCreates(client, grey, alice, rows);
  if (scenarios.includes('import')) await runImport(client, grey, rows);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'medledger-api-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { stop } = await startServer(
    loadConfig({
      MEDLEDGER_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      MEDLEDGER_PUBLIC_URL: base,
      MEDLEDGER_DEMO: 'true',
      MEDLEDGER_TOKEN_RATE_LIMIT: '100000',
      MEDLEDGER_TOKEN_TTL: '86400',
      LOG_LEVEL: 'warn',
    }),
  );
  const rows: Row[] = [];
  try {
    console.log(`# API benchmark (${new Date().toISOString()})`);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`);
    console.log(
      `${seconds} s per level after a ${warmupSeconds} s warm-up; server and load generator in one process\n`,
    );
    console.log(
      '| scenario | load | ok | failed | per s | p50 ms | p99 ms | CPU (cores) | other procs (cores) | blocks | target |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    await runScenarios(new Client(base), rows);
  } finally {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log('\n## Summary\n');
  for (const scenario of scenarios) {
    const target = TARGETS[scenario];
    const mine = rows.filter((r) => r.scenario === scenario);
    const best = mine.reduce<Row | undefined>(
      (a, r) => (a === undefined || r.perSecond > a.perSecond ? r : a),
      undefined,
    );
    const met = mine.some((r) => verdict(r) === 'MET');
    const goal = `≥ ${target.perSecond} ${target.unit}${target.p99Ms === undefined ? '' : ` with p99 ≤ ${target.p99Ms} ms`}`;
    console.log(
      `${scenario}: target ${goal}: ${met ? 'MET' : 'NOT MET'}` +
        (best === undefined
          ? ''
          : ` (best ${best.perSecond.toFixed(0)} ${target.unit}, p99 ${best.p99.toFixed(1)} ms at ${best.load})`),
    );
    for (const row of mine) if (row.note !== undefined) console.log(`  ${row.load}: ${row.note}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
