import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../cli.js';
import { DEMO_PASSWORD, MemoryDeps, runCli } from '../testing/cli-harness.js';
import type { VerifyReport } from './verify.js';

interface DemoJson {
  readonly dataDir: string;
  readonly organizations: readonly string[];
  readonly patients: readonly { login: string; patient: string; organization: string }[];
  readonly imported: Record<string, number>;
  readonly consents: Record<string, number>;
  readonly accessRequests: { pending: number; approved: number; denied: number };
  readonly breakGlass: { grantId: string; clinician: string; patient: string };
  readonly study: { id: string; status: string; resourceTypes: string[] };
}

async function until<T>(probe: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('medledger demo', () => {
  const root = mkdtempSync(join(tmpdir(), 'medledger-cli-demo-'));
  const dataDir = join(root, 'demo');
  let demo: DemoJson;
  let stderr: string;

  before(async () => {
    const result = await runCli(['demo', '--data-dir', dataDir, '--patients', '6', '--seed', 'test', '--json']);
    assert.equal(result.code, 0, result.stderr);
    stderr = result.stderr;
    demo = JSON.parse(result.stdout) as DemoJson;
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('builds five organisations and a synthetic population spread over both hospitals, through the import path', () => {
    assert.equal(stderr, '', 'no notes or progress with --json');
    assert.deepEqual(demo.organizations, [
      'HospitalAMSP',
      'HospitalBMSP',
      'InsurerMSP',
      'HealthAuthorityMSP',
      'ResearchMSP',
    ]);
    assert.equal(demo.patients.length, 6);
    assert.deepEqual(
      demo.patients.map((p) => [p.login, p.organization]),
      [
        ['patient001', 'HospitalAMSP'],
        ['patient002', 'HospitalBMSP'],
        ['patient003', 'HospitalAMSP'],
        ['patient004', 'HospitalBMSP'],
        ['patient005', 'HospitalAMSP'],
        ['patient006', 'HospitalBMSP'],
      ],
    );
    for (const p of demo.patients) assert.match(p.patient, /^Patient\/pt-[0-9a-f]{24}$/);
    assert.equal(demo.imported.Patient, 6);
    assert.ok((demo.imported.Observation ?? 0) > 6 * 3, JSON.stringify(demo.imported));
  });

  it('records consents of every kind, pending/approved/denied requests, a break-glass and an approved study', () => {
    // Patients 0–5: i mod 4 = 0,1,2,3,0,1 → treatment ×3 (0, 2, 4), except-sensitive ×2 (1, 5), one request (3);
    // payment for i mod 3 ≠ 2 (0, 1, 3, 4) + alice + bob; research opt-out for i = 4, opt-in for the others + alice.
    assert.deepEqual(demo.consents, {
      treatment: 3,
      'treatment-except-sensitive': 2,
      payment: 6,
      research: 6,
      'opt-out': 1,
      'from-approved-request': 1,
    });
    // Patient 3's request is approved (the first at HospitalB); dr.house and claims.ivy wait on alice.
    assert.deepEqual(demo.accessRequests, { pending: 2, approved: 1, denied: 0 });
    assert.match(demo.breakGlass.grantId, /^eg-[0-9a-f]{24}$/);
    assert.equal(demo.breakGlass.clinician, 'dr.grey');
    assert.equal(demo.study.status, 'approved');
    assert.match(demo.study.id, /^st-[0-9a-f]{24}$/);
  });

  it('is served by start: a synthetic patient logs in and sees their consents; alice sees her pending requests', async () => {
    let stop: (signal: string) => void = () => undefined;
    const deps = new MemoryDeps({
      env: { LOG_LEVEL: 'silent' },
      shutdown: new Promise((resolve) => {
        stop = resolve;
      }),
    });
    const running = main(['start', '--data-dir', dataDir, '--port', '0', '--json'], deps);
    const { url } = JSON.parse(await until(() => deps.stdoutText || undefined, 'the start line')) as { url: string };
    try {
      const env = { MEDLEDGER_URL: url, MEDLEDGER_PASSWORD: DEMO_PASSWORD };
      const consents = await runCli(['consent', 'list', '--user', 'patient001', '--json'], { env });
      assert.equal(consents.code, 0, consents.stderr);
      // patient001 (i = 0): treatment for HospitalB clinicians, payment, research.
      assert.equal((JSON.parse(consents.stdout) as unknown[]).length, 3);
      const requests = await runCli(['access', 'list', '--user', 'alice', '--json'], { env });
      assert.equal(requests.code, 0, requests.stderr);
      const pending = (JSON.parse(requests.stdout) as { status: string; requester: { uid: string } }[]).filter(
        (r) => r.status === 'pending',
      );
      assert.equal(pending.length, 2);
      const bobAudit = await runCli(['audit', '--user', 'bob', '--json'], { env });
      assert.equal(bobAudit.code, 0, bobAudit.stderr);
      assert.match(bobAudit.stdout, /ETREAT/, "the break-glass read is in bob's audit trail");
      // The demo study was created through the StudyService, so the server lists it (as the research portal does).
      const studies = await runCli(['analytics', 'studies', '--user', 'res.rosa', '--json'], { env });
      assert.equal(studies.code, 0, studies.stderr);
      assert.deepEqual(
        (JSON.parse(studies.stdout) as { id: string; status: string; epsilonRemaining: number }[]).map((s) => [
          s.id,
          s.status,
          s.epsilonRemaining,
        ]),
        [[demo.study.id, 'approved', 1]],
      );
    } finally {
      stop('SIGTERM');
      assert.equal(await running, 0);
    }
  });

  it('is followed by a clean verify (exit 0)', async () => {
    const result = await runCli(['verify', '--data-dir', dataDir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as VerifyReport;
    assert.equal(report.ok, true);
    assert.equal(report.recordsChecked, totalRecords(demo) + 4, "the imported records and alice's and bob's four");
  });

  it('refuses a non-empty data directory, --url, and a bad --patients (exit 2), writing nothing', async () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'keep me');
    const refused = await runCli(['demo', '--data-dir', busy]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^medledger: .*busy is not empty \(1 entry\): demo builds a new network/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    const again = await runCli(['demo', '--data-dir', dataDir, '--json']);
    assert.equal(again.code, 2);
    assert.equal((JSON.parse(again.stderr) as { exitCode: number }).exitCode, 2);
    assert.equal((await runCli(['demo', '--url', 'http://127.0.0.1:9'])).code, 2);
    for (const n of ['1', 'many', '1e3', '100000']) {
      const bad = await runCli(['demo', '--data-dir', join(root, 'never'), '--patients', n]);
      assert.equal(bad.code, 2, n);
      assert.match(bad.stderr, /--patients must be an integer from 2 to/);
    }
    const production = await runCli(['demo', '--data-dir', join(root, 'never')], {
      env: { NODE_ENV: 'production', MEDLEDGER_STORAGE_KEY: Buffer.alloc(32, 1).toString('base64') },
    });
    assert.equal(production.code, 2);
    assert.match(production.stderr, /MEDLEDGER_DEMO cannot be on when NODE_ENV=production/);
  });
});

/** Records (not Patients) the demo imported. */
function totalRecords(demo: DemoJson): number {
  return Object.entries(demo.imported)
    .filter(([type]) => type !== 'Patient')
    .reduce((sum, [, n]) => sum + n, 0);
}
