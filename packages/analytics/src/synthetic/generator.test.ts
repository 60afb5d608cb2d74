import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isClinicalCode, parseSecurityLabel } from '@medledger/core';
import type { FhirResource, TransactionBundle } from '../fhir/types.js';
import { asArray, asObject, patientReferenceOf } from '../fhir/types.js';
import { extractFeatures } from '../cohort/features.js';
import { generalizeZip } from '../deid/restricted-zip3.js';
import { generatePatientBundle, generatePopulation } from './generator.js';

// The types Medledger's transaction endpoint accepts (packages/server/src/fhir/resource-facts.ts RECORD_TYPES plus
// Patient) and the R4 required-binding codes it checks (shape-check.ts) for the elements the generator writes.
const ACCEPTED_TYPES = new Set([
  'Patient',
  'Encounter',
  'Observation',
  'Condition',
  'Procedure',
  'MedicationRequest',
  'AllergyIntolerance',
  'Immunization',
  'DiagnosticReport',
  'DocumentReference',
  'Coverage',
  'Claim',
]);
const R4_CODES: Record<string, Record<string, readonly string[]>> = {
  Observation: {
    status: ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'],
  },
  Encounter: {
    status: ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error'],
  },
  MedicationRequest: {
    status: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
    intent: ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  },
  Immunization: { status: ['completed', 'entered-in-error', 'not-done'] },
  Coverage: { status: ['active', 'cancelled', 'draft', 'entered-in-error'] },
  Claim: {
    status: ['active', 'cancelled', 'draft', 'entered-in-error'],
    use: ['claim', 'preauthorization', 'predetermination'],
  },
  Patient: { gender: ['male', 'female', 'other', 'unknown'] },
};
const PRIMARY_CODE: Record<string, string> = {
  Observation: 'code',
  Condition: 'code',
  MedicationRequest: 'medicationCodeableConcept',
  Immunization: 'vaccineCode',
};

const REFERENCE_DATE = '2025-01-01';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) references(item, out);
  const object = asObject(value);
  if (object === undefined) return out;
  for (const [key, child] of Object.entries(object)) {
    if (key === 'reference' && typeof child === 'string') out.push(child);
    else references(child, out);
  }
  return out;
}

function codesOf(resource: FhirResource): Array<{ system: string; code: string }> {
  const element = PRIMARY_CODE[resource.resourceType];
  if (element === undefined) return [];
  return asArray(asObject(resource[element])?.coding) as Array<{ system: string; code: string }>;
}

function labelsOf(resource: FhirResource): string[] {
  return asArray(asObject(resource.meta)?.security).map((label) => String(asObject(label)?.code));
}

describe('synthetic population generator', () => {
  let population: TransactionBundle[];
  before(() => {
    population = [...generatePopulation({ seed: 'generator-test', count: 1500 })];
  });

  it('is deterministic: the same seed gives byte-identical bundles, another seed different ones', () => {
    const digest = (seed: string) =>
      sha256([...generatePopulation({ seed, count: 50 })].map((bundle) => JSON.stringify(bundle)).join('\n'));
    assert.equal(digest('same'), digest('same'));
    assert.notEqual(digest('same'), digest('other'));
  });

  it('makes patient i the same whatever the population size or start', () => {
    const seventh = JSON.stringify(generatePatientBundle({ seed: 'same' }, 7));
    const fromRange = [...generatePopulation({ seed: 'same', count: 3, startIndex: 6 })][1];
    assert.equal(JSON.stringify(fromRange), seventh);
    assert.equal(JSON.stringify(population[0]), JSON.stringify(generatePatientBundle({ seed: 'generator-test' }, 0)));
  });

  it('writes Synthea-shaped transaction Bundles whose references all resolve inside the Bundle', () => {
    for (const bundle of population) {
      assert.equal(bundle.resourceType, 'Bundle');
      assert.equal(bundle.type, 'transaction');
      const [first] = bundle.entry;
      assert.equal(first?.resource.resourceType, 'Patient');
      const patientUrl = first.fullUrl;
      const fullUrls = new Set(bundle.entry.map((e) => e.fullUrl));
      assert.equal(fullUrls.size, bundle.entry.length, 'fullUrls are unique');
      assert.ok(bundle.entry.length - 1 <= 500, 'at most 500 records per transaction');
      for (const entry of bundle.entry) {
        assert.equal(entry.fullUrl, `urn:uuid:${String(entry.resource.id)}`);
        assert.deepEqual(entry.request, { method: 'POST', url: entry.resource.resourceType });
        for (const reference of references(entry.resource)) {
          assert.ok(fullUrls.has(reference), `${entry.resource.resourceType} → ${reference} resolves`);
        }
        if (entry.resource.resourceType !== 'Patient') {
          assert.equal(patientReferenceOf(entry.resource), patientUrl);
        }
      }
    }
  });

  it('uses only record types, codes and labels Medledger accepts', () => {
    for (const bundle of population) {
      for (const { resource } of bundle.entry) {
        assert.ok(ACCEPTED_TYPES.has(resource.resourceType), resource.resourceType);
        for (const [element, allowed] of Object.entries(R4_CODES[resource.resourceType] ?? {})) {
          assert.ok(allowed.includes(String(resource[element])), `${resource.resourceType}.${element}`);
        }
        for (const coding of codesOf(resource)) assert.ok(isClinicalCode(coding), `${coding.system}|${coding.code}`);
        asArray(asObject(resource.meta)?.security).forEach((label, i) => parseSecurityLabel(label, `security[${i}]`));
      }
    }
  });

  it('labels HIV and depression records (and their encounters and claims) as sensitive', () => {
    const resources = population.flatMap((bundle) => bundle.entry.map((e) => e.resource));
    const conditions = resources.filter((r) => r.resourceType === 'Condition');
    const byCode = (code: string) => conditions.filter((c) => codesOf(c).some((coding) => coding.code === code));
    const hiv = byCode('86406008');
    const depression = byCode('370143000');
    assert.ok(hiv.length > 0 && depression.length > 0);
    for (const c of hiv) assert.deepEqual(labelsOf(c), ['HIV', 'R']);
    for (const c of depression) assert.deepEqual(labelsOf(c), ['PSY', 'R']);
    for (const c of byCode('44054006')) assert.deepEqual(labelsOf(c), []);
    const sensitiveMeds = resources.filter(
      (r) =>
        r.resourceType === 'MedicationRequest' && codesOf(r).some((c) => c.code === '1999667' || c.code === '312941'),
    );
    assert.ok(sensitiveMeds.length > 0);
    for (const m of sensitiveMeds) assert.equal(labelsOf(m).length, 2);
    const viralLoads = resources.filter((r) => codesOf(r).some((c) => c.code === '20447-9'));
    for (const v of viralLoads) assert.deepEqual(labelsOf(v), ['HIV', 'R']);
    const labelledClaims = resources.filter((r) => r.resourceType === 'Claim' && labelsOf(r).length > 0);
    assert.equal(labelledClaims.length, hiv.length + depression.length, 'one labelled claim per diagnosis encounter');
  });

  it('dates every record before the reference date and after birth', () => {
    for (const bundle of population.slice(0, 300)) {
      const birthDate = String(bundle.entry[0]?.resource.birthDate);
      for (const { resource } of bundle.entry.slice(1)) {
        for (const key of ['effectiveDateTime', 'onsetDateTime', 'authoredOn', 'occurrenceDateTime', 'created']) {
          const value = resource[key];
          if (typeof value !== 'string') continue;
          assert.match(value, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
          assert.ok(value < REFERENCE_DATE && value.slice(0, 10) >= birthDate, `${key} ${value}`);
        }
      }
    }
  });

  it('gives patients names, addresses with ZIP codes, birth dates and MRN/SSN-like identifiers', () => {
    const patients = population.map((b) => b.entry[0]?.resource as FhirResource);
    for (const patient of patients.slice(0, 200)) {
      const name = asObject(asArray(patient.name)[0]);
      assert.ok(typeof name?.family === 'string' && asArray(name.given).length > 0);
      assert.match(String(patient.birthDate), /^\d{4}-\d{2}-\d{2}$/);
      assert.match(String(asObject(asArray(patient.address)[0])?.postalCode), /^\d{5}$/);
      const ids = asArray(patient.identifier).map((i) => asObject(i) ?? {});
      assert.ok(
        ids.some((i) => i.system === 'http://hl7.org/fhir/sid/us-ssn' && /^999-\d{2}-\d{4}$/.test(String(i.value))),
      );
      assert.ok(ids.some((i) => /\/mrn$/.test(String(i.system)) && /^\d{8}$/.test(String(i.value))));
    }
    const zips = patients.map((p) => String(asObject(asArray(p.address)[0])?.postalCode));
    assert.ok(
      zips.some((zip) => generalizeZip(zip) === '000'),
      'some patients live in restricted ZIP3 areas',
    );
    const features = extractFeatures(patients, REFERENCE_DATE);
    assert.ok(
      features.some((f) => (f.age ?? 0) >= 90),
      'some patients are over 89',
    );
    assert.ok(
      features.some((f) => (f.age ?? 99) < 18),
      'some patients are children',
    );
  });

  it('has realistic prevalences and the correlations models need', () => {
    const features = population.flatMap((b) =>
      extractFeatures(
        b.entry.map((e) => e.resource),
        REFERENCE_DATE,
      ),
    );
    const adults = features.filter((f) => (f.age ?? 0) >= 18);
    const share = (rows: typeof features, pick: (f: (typeof features)[number]) => boolean) =>
      rows.filter(pick).length / rows.length;
    const diabetes = share(adults, (f) => f.conditions.diabetes);
    const hypertension = share(adults, (f) => f.conditions.hypertension);
    assert.ok(diabetes > 0.07 && diabetes < 0.2, `diabetes ${diabetes}`);
    assert.ok(hypertension > 0.2 && hypertension < 0.45, `hypertension ${hypertension}`);
    assert.ok(share(features, (f) => f.conditions.asthma) > 0.04);
    assert.ok(share(features, (f) => f.conditions.depression) > 0.04);
    const old = adults.filter((f) => (f.age ?? 0) >= 60);
    const young = adults.filter((f) => (f.age ?? 0) < 40);
    assert.ok(share(old, (f) => f.conditions.hypertension) > 2 * share(young, (f) => f.conditions.hypertension));
    const obese = adults.filter((f) => (f.bmi ?? 0) >= 30);
    const lean = adults.filter((f) => (f.bmi ?? 99) < 25);
    assert.ok(share(obese, (f) => f.conditions.diabetes) > 2 * share(lean, (f) => f.conditions.diabetes));
    const mean = (rows: typeof features, pick: (f: (typeof features)[number]) => number | undefined) => {
      const values = rows.map(pick).filter((v): v is number => v !== undefined);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    const diabetic = adults.filter((f) => f.conditions.diabetes);
    const other = adults.filter((f) => !f.conditions.diabetes);
    assert.ok(mean(diabetic, (f) => f.hba1c) > mean(other, (f) => f.hba1c) + 1.5);
    assert.ok(mean(diabetic, (f) => f.glucose) > mean(other, (f) => f.glucose) + 40);
    const hypertensive = adults.filter((f) => f.conditions.hypertension);
    const normotensive = adults.filter((f) => !f.conditions.hypertension);
    assert.ok(mean(hypertensive, (f) => f.systolic) > mean(normotensive, (f) => f.systolic) + 15);
    const grown = adults.filter((f) => (f.age ?? 0) >= 19);
    assert.ok(grown.every((f) => f.smoking !== undefined && f.bmi !== undefined && f.cholesterol !== undefined));
  });

  it('refuses a bad reference date, count or index', () => {
    assert.throws(() => generatePatientBundle({ seed: 1, referenceDate: '2025-13' }, 0), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => generatePatientBundle({ seed: 1 }, -1), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => [...generatePopulation({ seed: 1, count: 1.5 })], { code: 'INVALID_ARGUMENT' });
  });
});
