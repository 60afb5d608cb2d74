import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { emptySummary, planImport } from './fhir-import.js';
import type { SourceResource } from './fhir-import.js';

/**
 * The 38 real Synthea R4 patient Bundles shared beside the repository (`../shared/data/synthea-r4` from the repository
 * root, where the tests run), or MEDLEDGER_SYNTHEA_DIR. The test is skipped where the data is absent.
 */
const DIR = resolve(process.env.MEDLEDGER_SYNTHEA_DIR ?? join(process.cwd(), '..', 'shared', 'data', 'synthea-r4'));

function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) references(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      if (key === 'reference' && typeof member === 'string') out.push(member);
      else references(member, out);
    }
  }
  return out;
}

describe('the real Synthea data (../shared/data/synthea-r4)', { skip: !existsSync(DIR) && 'data not present' }, () => {
  it('plans every resource as stored or skipped with a reason, and every kept reference resolves', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    const summary = emptySummary();
    let input = 0;
    let planned = 0;
    let patients = 0;
    for (const file of files) {
      const bundle = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as {
        entry: Array<{ fullUrl?: string; resource: Record<string, unknown> }>;
      };
      const items: SourceResource[] = bundle.entry.map((e) => ({
        source: file,
        resource: e.resource,
        ...(e.fullUrl === undefined ? {} : { fullUrl: e.fullUrl }),
      }));
      input += items.length;
      for (const plan of planImport(items, summary)) {
        const entries = plan.chunks.flat();
        const keys = new Set(entries.map((e) => e.key));
        planned += entries.length;
        patients += entries.filter((e) => e.type === 'Patient').length;
        for (const entry of entries) {
          for (const reference of references(entry.resource)) {
            assert.ok(keys.has(reference), `${file}: ${entry.type} → ${reference} resolves inside the patient's plan`);
          }
        }
        assert.ok(
          plan.chunks.every((chunk) => chunk.filter((e) => e.type !== 'Patient').length <= 500),
          'at most 500 records per transaction',
        );
      }
    }
    const skipped = Object.values(summary.skipped).reduce(
      (sum, reasons) => sum + Object.values(reasons).reduce((a, b) => a + b, 0),
      0,
    );
    assert.equal(patients, 38);
    assert.equal(planned + skipped, input, 'every resource is either planned or skipped with a reason');
    assert.equal(planned, 10_098);
    for (const type of ['ExplanationOfBenefit', 'Goal', 'CarePlan', 'ImagingStudy']) {
      assert.ok(Object.keys(summary.skipped[type] ?? {}).length > 0, `${type} is skipped with its reason`);
    }
    assert.deepEqual(summary.problems, []);
  });
});
