import { appendFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { observationGrant, TestServer } from '../../src/testing/test-server.js';
import type { Response } from '../../src/testing/test-server.js';

export { observationGrant, TestServer };

// Whatever an in-process server logged goes to the suite's log directory when it stops, for the final PHI/secret scan
// of the whole run (zz-log-scan.sec.test.ts).
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with its instance
const originalStop = TestServer.prototype.stop;
TestServer.prototype.stop = async function stop(this: TestServer, options?: { keepData?: boolean }): Promise<void> {
  const dir = process.env.MEDLEDGER_SECURITY_LOG_DIR;
  if (dir !== undefined && dir !== '') {
    mkdirSync(dir, { recursive: true });
    const text = this.log.lines.map((line) => JSON.stringify(line)).join('\n');
    appendFileSync(join(dir, `test-server-${process.pid}.log`), `${text}\n`);
  }
  return originalStop.call(this, options);
};
export type { Response };

export type Json = Record<string, unknown>;

/** A valid R4 Observation (heart rate) for `patientId`. */
export function observation(patientId: string, value = 72): Json {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2026-10-02T09:30:00Z',
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

/** A consent granting `group` (e.g. HospitalBMSP-clinician) access to `resourceType` for treatment until 2030. */
export function grant(patientId: string, resourceType = 'Observation', group = 'HospitalBMSP-clinician'): Json {
  const consent = observationGrant(patientId, '2030-12-31');
  const provision = consent.provision as { provision: Array<Json> };
  const inner = provision.provision[0] as Json;
  inner.class = [{ system: 'http://hl7.org/fhir/resource-types', code: resourceType }];
  inner.actor = [
    {
      role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
      reference: { reference: `Group/${group}` },
    },
  ];
  return consent;
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Row counts of everything a write could touch: ledger blocks/state/history, every vault, the server store. */
export function storeCounts(dataDir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const count = (file: string, label: string, tables: readonly string[]): void => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      for (const table of tables) {
        const row = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
        counts[`${label}.${table}`] = row.n;
      }
    } finally {
      db.close();
    }
  };
  count(join(dataDir, 'ledger', 'ledger.sqlite'), 'ledger', ['blocks', 'state', 'history', 'transactions']);
  for (const msp of readdirSync(join(dataDir, 'vault'))) {
    const file = join(dataDir, 'vault', msp, 'vault.sqlite');
    count(file, `vault.${msp}`, ['vault_records', 'vault_ciphertexts', 'vault_data_keys']);
  }
  const store = new Database(join(dataDir, 'server.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const tables = (
      store.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
    store.close();
    count(join(dataDir, 'server.sqlite'), 'server', tables);
  } catch (error) {
    store.close();
    throw error;
  }
  return counts;
}

/** Entries' resource ids of a searchset. */
export function ids(response: Response): string[] {
  return (response.body.entry ?? []).map((e) => String(e.resource.id));
}

/** A seeded PRNG (mulberry32) for reproducible random choices in the fault tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
