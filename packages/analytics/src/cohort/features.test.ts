import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FhirResource } from '../fhir/types.js';
import { AGE_90_PLUS_EXTENSION, ageFromBirthDate, extractFeatures } from './features.js';

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const obs = (patient: string, code: string, when: string, value: number): FhirResource => ({
  resourceType: 'Observation',
  status: 'final',
  code: loinc(code),
  subject: { reference: patient },
  effectiveDateTime: when,
  valueQuantity: { value },
});

describe('extractFeatures', () => {
  it('takes the latest value of each measure, blood-pressure components and condition flags per patient', () => {
    const rows = extractFeatures(
      [
        obs('urn:uuid:a', '39156-5', '2024-05-01T10:00:00+00:00', 31.2),
        { resourceType: 'Patient', id: 'a', gender: 'female', birthDate: '1970-06-15' },
        obs('urn:uuid:a', '39156-5', '2020-05-01T10:00:00+00:00', 28),
        obs('Patient/a', '4548-4', '2024-05-01', 7.1),
        {
          resourceType: 'Observation',
          code: loinc('85354-9'),
          subject: { reference: 'Patient/a' },
          effectiveDateTime: '2024-05-01',
          component: [
            { code: loinc('8480-6'), valueQuantity: { value: 141 } },
            { code: loinc('8462-4'), valueQuantity: { value: 88 } },
          ],
        },
        {
          resourceType: 'Observation',
          code: loinc('72166-2'),
          subject: { reference: 'Patient/a' },
          effectiveDateTime: '2024-05-01',
          valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '8517006' }] },
        },
        {
          resourceType: 'Condition',
          code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
          subject: { reference: 'Patient/a' },
        },
        {
          resourceType: 'Patient',
          id: 'b',
          birthDate: '1930',
          extension: [{ url: AGE_90_PLUS_EXTENSION, valueString: '90+' }],
        },
        obs('Patient/nobody', '39156-5', '2024-05-01', 40),
      ],
      '2025-01-01',
    );
    assert.deepEqual(rows, [
      {
        patient: 'Patient/a',
        gender: 'female',
        age: 54,
        bmi: 31.2,
        hba1c: 7.1,
        systolic: 141,
        diastolic: 88,
        smoking: 'former',
        conditions: { hypertension: false, diabetes: true, asthma: false, depression: false, hiv: false },
      },
      {
        patient: 'Patient/b',
        age: 90,
        conditions: { hypertension: false, diabetes: false, asthma: false, depression: false, hiv: false },
      },
    ]);
  });

  it('computes ages as birthdays are counted, and from a bare year at most', () => {
    assert.equal(ageFromBirthDate('1970-06-15', '2025-06-14'), 54);
    assert.equal(ageFromBirthDate('1970-06-15', '2025-06-15T00:00:00Z'), 55);
    assert.equal(ageFromBirthDate('1970', '2025-01-01'), 55);
    assert.equal(ageFromBirthDate('1970-06', '2025-01-01'), 55);
    assert.equal(ageFromBirthDate('unknown', '2025-01-01'), undefined);
  });
});
