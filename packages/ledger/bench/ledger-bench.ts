// Embedded ledger benchmark: committed consent transactions per second with MAJORITY endorsement of 5 orgs, and
// submit→commit latency, at increasing concurrency; then an open-loop run at a fixed offered rate; and the machine's
// ECDSA P-256 verify rate in the same process (the physical ceiling: every transaction needs 5 verifications).
// Usage: npm run bench:ledger [-- --seconds 10 --rate 1000]
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedLedger } from '../src/index.js';
import type { LedgerClient } from '../src/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rate: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,8,32,128,512' },
    patients: { type: 'string', default: '64' },
    // Load only (no ceiling measurement, no final verify): for a CPU profile of the pipeline itself.
    'load-only': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const offeredRate = Number(values.rate);
const levels = values.concurrency.split(',').map(Number);

const pseudonym = (label: string): string => `pu-${createHash('sha256').update(label).digest('hex').slice(0, 32)}`;

function consent(patientId: string, n: number): string {
  return JSON.stringify({
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'deny',
      provision: [
        {
          type: 'permit',
          period: { end: `${2030 + (n % 5)}-12-31` },
          actor: [
            {
              role: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
              },
              reference: { reference: 'Group/HospitalBMSP-clinician' },
            },
          ],
          action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }],
          purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
          class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }],
        },
      ],
    },
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function ecdsaVerifyPerSecond(): { verifyPerSec: number; signPerSec: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(512, 7);
  const signature = sign('sha256', data, privateKey);
  const time = (fn: () => void, budgetMs: number): number => {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs) {
      fn();
      n++;
    }
    return (n / (performance.now() - start)) * 1000;
  };
  return {
    verifyPerSec: time(() => verify('sha256', data, publicKey, signature), 1500),
    signPerSec: time(() => sign('sha256', data, privateKey), 1000),
  };
}

interface Sample {
  committed: number;
  failed: number;
  latencies: number[];
  elapsedMs: number;
  /** Process CPU time (all threads) over wall time: 1.0 = one core busy. */
  cores?: number;
}

async function measured(run: () => Promise<Sample>): Promise<Sample> {
  const before = process.cpuUsage();
  const sample = await run();
  const used = process.cpuUsage(before);
  return { ...sample, cores: (used.user + used.system) / 1000 / sample.elapsedMs };
}

async function closedLoop(clients: LedgerClient[], patientIds: string[], concurrency: number): Promise<Sample> {
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < deadline) {
      const i = (w + n++) % clients.length;
      const client = clients[i];
      const patientId = patientIds[i];
      if (!client || patientId === undefined) return;
      const t0 = performance.now();
      try {
        await client.submit('PutConsent', consent(patientId, n));
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return {
    committed: latencies.length,
    failed,
    latencies: latencies.sort((a, b) => a - b),
    elapsedMs: performance.now() - start,
  };
}

async function openLoop(clients: LedgerClient[], patientIds: string[], rate: number): Promise<Sample> {
  const latencies: number[] = [];
  let failed = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(rate * seconds);
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const i = k % clients.length;
    const client = clients[i];
    const patientId = patientIds[i];
    if (!client || patientId === undefined) continue;
    const t0 = performance.now();
    pending.push(
      client.submit('PutConsent', consent(patientId, k)).then(
        () => {
          latencies.push(performance.now() - t0);
        },
        () => {
          failed++;
        },
      ),
    );
  }
  await Promise.all(pending);
  return {
    committed: latencies.length,
    failed,
    latencies: latencies.sort((a, b) => a - b),
    elapsedMs: performance.now() - start,
  };
}

function row(label: string, sample: Sample): string {
  const tps = (sample.committed / sample.elapsedMs) * 1000;
  const p50 = percentile(sample.latencies, 50).toFixed(1);
  const p99 = percentile(sample.latencies, 99).toFixed(1);
  return `| ${label} | ${sample.committed} | ${sample.failed} | ${tps.toFixed(0)} | ${p50} | ${p99} | ${(sample.cores ?? 0).toFixed(2)} |`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-bench-'));
  const ledger = await EmbeddedLedger.open({ dataDir: dir, key: { passphrase: 'bench' } });
  try {
    const clinician = await ledger.enroll('HospitalAMSP', 'clinician', 'bench-clinician');
    const admin = ledger.connect(clinician);
    const clients: LedgerClient[] = [];
    const patientIds: string[] = [];
    const patientCount = Number(values.patients);
    for (let i = 0; i < patientCount; i++) {
      const uid = pseudonym(`bench-${i}`);
      const { result } = await admin.submit('RegisterPatient', JSON.stringify({ patientUid: uid }));
      patientIds.push((JSON.parse(result) as { patientId: string }).patientId);
      clients.push(ledger.connect(await ledger.enroll('HospitalAMSP', 'patient', uid)));
    }
    console.log(`# Embedded ledger benchmark (${new Date().toISOString()})`);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`);
    console.log(
      `policy: MAJORITY of ${ledger.config.organizations.length} orgs; ${seconds} s per level; ${patientCount} patients\n`,
    );
    if (!values['load-only']) {
      const ceiling = ecdsaVerifyPerSecond();
      console.log(
        `ECDSA P-256 on one core: ${ceiling.verifyPerSec.toFixed(0)} verify/s, ${ceiling.signPerSec.toFixed(0)} sign/s`,
      );
      console.log(
        `→ ceiling from verification alone (5 verifies/tx, 1 core): ${(ceiling.verifyPerSec / 5).toFixed(0)} tx/s\n`,
      );
    }
    console.log('| load | committed | failed | tx/s | p50 ms | p99 ms | CPU (cores) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const concurrency of levels) {
      const sample = await measured(() => closedLoop(clients, patientIds, concurrency));
      console.log(row(`closed loop, ${concurrency} in flight`, sample));
    }
    if (values['load-only']) return;
    const open = await measured(() => openLoop(clients, patientIds, offeredRate));
    console.log(row(`open loop, ${offeredRate} tx/s offered`, open));
    const verifyStarted = performance.now();
    const report = await ledger.verify();
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    console.log(
      `\nverify: ${report.ok ? 'ok' : 'FAILED'} (${report.blocksChecked} blocks, ${report.transactionsChecked} transactions) in ${verifySeconds.toFixed(1)} s`,
    );
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
