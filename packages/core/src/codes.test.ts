import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { CLINICAL_CODE_SYSTEMS, isClinicalCode, RECORD_CATEGORIES } from './codes.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const CVX = 'http://hl7.org/fhir/sid/cvx';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const CPT = 'http://www.ama-assn.org/go/cpt';

void describe('CLINICAL_CODE_SYSTEMS', () => {
  void it('lists the seven clinical code systems', () => {
    assert.deepEqual(
      [...CLINICAL_CODE_SYSTEMS.keys()].sort(),
      [CPT, CVX, ICD10, ICD10CM, LOINC, RXNORM, SNOMED].sort(),
    );
  });

  void it('accepts codes in the form of their system (samples from the Synthea data and the code systems)', () => {
    const accepted: Array<[string, string]> = [
      [LOINC, '8302-2'],
      [LOINC, '72514-3'],
      [LOINC, '59284-0'],
      [LOINC, '2-9'],
      [SNOMED, '185347001'],
      [SNOMED, '872781000000100'],
      [SNOMED, '195662009'],
      [RXNORM, '834061'],
      [RXNORM, '1'],
      [CVX, '140'],
      [CVX, '08'],
      [ICD10, 'E11'],
      [ICD10, 'J45.909'],
      [ICD10CM, 'Z00.00'],
      [ICD10CM, 'S72.001A'],
      [CPT, '99213'],
      [CPT, '0001U'],
    ];
    for (const [system, code] of accepted) assert.ok(isClinicalCode({ system, code }), `${system}|${code}`);
  });

  void it('rejects other systems and codes of another form: an identifier or a name is not a code', () => {
    const rejected: Array<[string, string]> = [
      ['http://hl7.org/fhir/sid/us-ssn', '999-12-3456'],
      ['http://hospital.smarthealthit.org', '70660c70-a188-4a1d-bbd1-ddecf886f34f'],
      ['http://terminology.hl7.org/CodeSystem/claim-type', 'institutional'],
      [`${LOINC}/`, '8302-2'],
      ['HTTP://LOINC.ORG', '8302-2'],
      [LOINC, '8302'],
      [LOINC, 'okeefe-1'],
      [LOINC, '999-12-3456'],
      [SNOMED, '34552-0'],
      [SNOMED, '12345'],
      [SNOMED, '1'.repeat(19)],
      [RXNORM, '12345678901'],
      [CVX, '1234'],
      [ICD10, 'e11.9'],
      [ICD10, 'E11.'],
      [ICD10, 'E11.12345'],
      [ICD10CM, 'Jane'],
      [CPT, '992131'],
      [CPT, 'DOE12'],
      ['constructor', '1'],
      ['__proto__', '1'],
    ];
    for (const [system, code] of rejected) assert.ok(!isClinicalCode({ system, code }), `${system}|${code}`);
  });
});

void describe('RECORD_CATEGORIES', () => {
  void it('has the FHIR observation categories and one category for each kind of record Synthea writes', () => {
    const observation = ['vital-signs', 'laboratory', 'social-history', 'imaging', 'procedure', 'survey', 'exam'];
    const synthea = [
      'encounter', // Encounter
      'encounter-diagnosis', // Condition
      'claim', // Claim
      'explanation-of-benefit', // ExplanationOfBenefit
      'immunization', // Immunization
      'diagnostic-report', // DiagnosticReport (v2-0074 LAB may also map to laboratory)
      'procedure', // Procedure
      'medication', // MedicationRequest
      'care-plan', // CarePlan (SNOMED categories)
      'allergy', // AllergyIntolerance
      'other', // Goal, and anything without a better category
    ];
    for (const category of [...observation, 'therapy', 'activity', ...synthea]) {
      assert.ok((RECORD_CATEGORIES as readonly string[]).includes(category), category);
    }
    assert.equal(new Set(RECORD_CATEGORIES).size, RECORD_CATEGORIES.length);
    for (const category of RECORD_CATEGORIES) assert.match(category, /^[a-z]+(-[a-z]+)*$/);
  });
});
