import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FhirResource } from '../fhir/types.js';
import { asArray, asObject } from '../fhir/types.js';
import { AGE_90_PLUS_EXTENSION, extractFeatures } from '../cohort/features.js';
import { generatePopulation } from '../synthetic/generator.js';
import { deriveStudyKey } from './pseudonym.js';
import { BIRTH_YEAR_RANGE_EXTENSION, deidentify } from './safe-harbor.js';

const KEY = deriveStudyKey(Buffer.alloc(32, 1), 'st-000000000000000000000001');
const AS_OF = '2025-06-30';

/**
 * One patient's record set holding every one of the 18 Safe Harbor identifier kinds (45 CFR 164.514(b)(2)(i)),
 * each value unique so that a text search of the export proves it is gone.
 */
function fixture(): { resources: FhirResource[]; identifiers: Record<string, string[]> } {
  const identifiers: Record<string, string[]> = {
    'A names': ['Quentin', 'Zabriskie', 'Oona Featherstonehaugh', 'Ysolde', 'Marchbanks', 'Dr. Ignatius Pettigrew'],
    'B geographic subdivisions': [
      '4471 Larkspur Crescent',
      'Apt 9Q',
      'Charlestown',
      'Sullivan County',
      '03603',
      '43.23871',
      '-72.42519',
      'Walpole',
    ],
    'C dates': ['1961-04-17', '2024-11-05', '2023-02-14T09:30:00+00:00', '2024-11-05T08:15:00.123Z', '2024-03-09'],
    'D telephone': ['617-555-0142', '(508) 555-0199'],
    'E fax': ['617-555-0177'],
    'F email': ['quentin.zabriskie@example.net'],
    'G SSN': ['078-05-1120'],
    'H MRN': ['MRN-88412907'],
    'I health plan beneficiary': ['HPB-55120931', 'GRP-7781'],
    'J account': ['ACCT-0091827'],
    'K certificate/licence': ['S88812345', 'LIC-MA-442190'],
    'L vehicle': ['7ZXK912', '1HGCM82633A004352'],
    'M device': ['SN-DEV-55781', 'LOT-AX4471', '(01)00643169007222', 'urn:oid:1.2.3.4.55781'],
    'N URL': ['https://quentin.example.net/blog'],
    'O IP address': ['192.0.2.147'],
    'P biometric': ['BIOMETRIC-FINGERPRINT-TEMPLATE-BASE64'],
    'Q photograph': ['FULL-FACE-PHOTO-BASE64', 'https://photos.example.net/q.jpg'],
    'R other unique': [
      'PT-UNIQUE-ZZ-9',
      'original-patient-id-1',
      'original-obs-id-1',
      'urn:uuid:0b1c7d66-0e8e-4c2f-9d55-3c3c2a7e9a11',
    ],
  };
  const patient: FhirResource = {
    resourceType: 'Patient',
    id: 'original-patient-id-1',
    meta: { versionId: '3', lastUpdated: '2024-11-05T08:15:00.123Z', source: 'https://quentin.example.net/blog' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Quentin Zabriskie</div>' },
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          {
            url: 'ombCategory',
            valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' },
          },
          { url: 'text', valueString: 'Ysolde' },
        ],
      },
      {
        url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName',
        valueString: 'Oona Featherstonehaugh',
      },
      {
        url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
        valueAddress: { city: 'Walpole', state: 'NH' },
      },
    ],
    identifier: [
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: '078-05-1120' },
      { type: { text: 'MRN' }, system: 'https://hospital.example.org/mrn', value: 'MRN-88412907' },
      { type: { text: 'DL' }, system: 'urn:oid:2.16.840.1.113883.4.3.25', value: 'S88812345' },
      { system: 'https://example.org/accounts', value: 'ACCT-0091827' },
      { system: 'https://example.org/unique', value: 'PT-UNIQUE-ZZ-9' },
    ],
    name: [{ use: 'official', family: 'Zabriskie', given: ['Quentin'] }],
    telecom: [
      { system: 'phone', value: '617-555-0142' },
      { system: 'fax', value: '617-555-0177' },
      { system: 'email', value: 'quentin.zabriskie@example.net' },
      { system: 'url', value: 'https://quentin.example.net/blog' },
    ],
    gender: 'male',
    birthDate: '1961-04-17',
    deceasedDateTime: '2024-11-05T08:15:00.123Z',
    address: [
      {
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/geolocation',
            extension: [
              { url: 'latitude', valueDecimal: 43.23871 },
              { url: 'longitude', valueDecimal: -72.42519 },
            ],
          },
        ],
        line: ['4471 Larkspur Crescent', 'Apt 9Q'],
        city: 'Charlestown',
        district: 'Sullivan County',
        state: 'NH',
        postalCode: '03603',
        country: 'US',
      },
    ],
    photo: [{ contentType: 'image/jpeg', data: 'FULL-FACE-PHOTO-BASE64', url: 'https://photos.example.net/q.jpg' }],
    contact: [
      { name: { family: 'Marchbanks', given: ['Ysolde'] }, telecom: [{ system: 'phone', value: '(508) 555-0199' }] },
    ],
    generalPractitioner: [{ reference: 'Practitioner/p1', display: 'Dr. Ignatius Pettigrew' }],
  };
  const subject = { reference: 'Patient/original-patient-id-1', display: 'Quentin Zabriskie' };
  const records: FhirResource[] = [
    {
      resourceType: 'Encounter',
      id: 'enc-1',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject,
      period: { start: '2023-02-14T09:30:00+00:00', end: '2023-02-14T09:30:00+00:00' },
      participant: [{ individual: { reference: 'Practitioner/p1', display: 'Dr. Ignatius Pettigrew' } }],
    },
    {
      resourceType: 'Observation',
      id: 'original-obs-id-1',
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] },
      status: 'final',
      code: {
        coding: [{ system: 'http://loinc.org', code: '20447-9', display: 'HIV 1 RNA' }],
        text: 'Viral load for Quentin',
      },
      subject,
      encounter: { reference: 'urn:uuid:0b1c7d66-0e8e-4c2f-9d55-3c3c2a7e9a11' },
      effectiveDateTime: '2024-11-05',
      issued: '2024-11-05T08:15:00.123Z',
      valueQuantity: { value: 48, unit: '{copies}/mL', system: 'http://unitsofmeasure.org', code: '{copies}/mL' },
      note: [{ text: 'Drove in with plate 7ZXK912, VIN 1HGCM82633A004352; logged in from 192.0.2.147' }],
      device: { identifier: { value: '(01)00643169007222' } },
      basedOn: [{ reference: 'ServiceRequest/sr-1', identifier: { value: 'PT-UNIQUE-ZZ-9' } }],
    },
    {
      resourceType: 'Observation',
      id: 'obs-2',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] },
      subject,
      effectiveDateTime: '2024-03-09',
      valueString: 'Seen at https://quentin.example.net/blog on 2024-03-09, call 617-555-0142',
      component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueString: 'SN-DEV-55781' }],
    },
    {
      resourceType: 'Immunization',
      id: 'imm-1',
      status: 'completed',
      vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] },
      patient: subject,
      occurrenceDateTime: '2024-11-05',
      lotNumber: 'LOT-AX4471',
    },
    {
      resourceType: 'Coverage',
      id: 'cov-1',
      status: 'active',
      identifier: [{ value: 'HPB-55120931' }],
      subscriberId: 'HPB-55120931',
      class: [{ type: { coding: [{ code: 'group' }] }, value: 'GRP-7781' }],
      beneficiary: subject,
      payor: [{ display: 'Zabriskie Family Trust' }],
    },
    {
      resourceType: 'DocumentReference',
      id: 'doc-1',
      status: 'current',
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.3.4.55781' },
      subject,
      description: 'Fingerprint enrolment for Quentin',
      content: [
        { attachment: { contentType: 'application/octet-stream', data: 'BIOMETRIC-FINGERPRINT-TEMPLATE-BASE64' } },
      ],
    },
    {
      resourceType: 'Claim',
      id: 'claim-1',
      status: 'active',
      use: 'claim',
      patient: subject,
      created: '2024-11-05',
      provider: { display: 'Dr. Ignatius Pettigrew' },
      supportingInfo: [{ sequence: 1, category: { text: 'licence' }, valueString: 'LIC-MA-442190' }],
      insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/cov-1' } }],
      item: [{ sequence: 1, encounter: [{ reference: 'Encounter/enc-1' }] }],
    },
    // Not linked to the patient: never exported.
    { resourceType: 'Practitioner', id: 'p1', name: [{ family: 'Pettigrew', given: ['Ignatius'] }] },
  ];
  // The Observation's encounter reference in urn:uuid form points at this Encounter.
  records.push({ ...(records[0] as FhirResource), id: '0b1c7d66-0e8e-4c2f-9d55-3c3c2a7e9a11' });
  return { resources: [patient, ...records], identifiers };
}

/** Strings outside Coding display/code/system (coded values are not free text). */
function freeStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) freeStrings(item, out);
  const object = asObject(value);
  if (object === undefined) return out;
  const coding = typeof object.system === 'string' && typeof object.code === 'string';
  for (const [key, child] of Object.entries(object)) {
    if (!(coding && (key === 'display' || key === 'code' || key === 'system'))) freeStrings(child, out);
  }
  return out;
}

const hasCode = (resource: FhirResource, code: string): boolean =>
  asArray(asObject(resource.code)?.coding).some((coding) => asObject(coding)?.code === code);

function referencesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) referencesIn(item, out);
  const object = asObject(value);
  if (object !== undefined) {
    for (const [key, child] of Object.entries(object)) {
      if (key === 'reference' && typeof child === 'string') out.push(child);
      else referencesIn(child, out);
    }
  }
  return out;
}

describe('HIPAA Safe Harbor de-identification', () => {
  it('removes or generalises every one of the 18 identifier kinds', () => {
    const { resources, identifiers } = fixture();
    const { resources: exported, report } = deidentify(resources, { studyKey: KEY, asOf: AS_OF, k: 1 });
    const text = JSON.stringify(exported);
    for (const [kind, values] of Object.entries(identifiers)) {
      for (const value of values) assert.ok(!text.includes(value), `${kind}: "${value}" must not be exported`);
    }
    for (const value of freeStrings(exported)) {
      assert.doesNotMatch(value, /^\d{4}-\d{2}/, `no date more precise than a year: ${value}`);
      assert.doesNotMatch(value, /\s\S+\s/, `no free text: ${value}`);
    }
    assert.equal(report.records.unlinked, 1, 'the Practitioner is not exported');
    assert.ok(exported.every((r) => r.resourceType !== 'Practitioner'));
    assert.ok((report.transformations['identifier removed'] ?? 0) >= 2);
  });

  it('keeps what research needs: year of birth, gender, state, ZIP3 ("000" when restricted), codes, values, labels', () => {
    const { resources } = fixture();
    const { resources: exported } = deidentify(resources, { studyKey: KEY, asOf: AS_OF, k: 1 });
    const patient = exported.find((r) => r.resourceType === 'Patient');
    assert.ok(patient);
    assert.equal(patient.birthDate, '1961');
    assert.equal(patient.deceasedDateTime, '2024');
    assert.equal(patient.gender, 'male');
    assert.deepEqual(patient.address, [{ state: 'NH', country: 'US', postalCode: '000' }]);
    assert.deepEqual(patient.extension, [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          {
            url: 'ombCategory',
            valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' },
          },
        ],
      },
    ]);
    const viralLoad = exported.find((r) => hasCode(r, '20447-9'));
    assert.ok(viralLoad);
    assert.deepEqual(viralLoad.valueQuantity, {
      value: 48,
      unit: '{copies}/mL',
      system: 'http://unitsofmeasure.org',
      code: '{copies}/mL',
    });
    assert.deepEqual(viralLoad.meta, {
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }],
    });
    assert.deepEqual(viralLoad.code, {
      coding: [{ system: 'http://loinc.org', code: '20447-9', display: 'HIV 1 RNA' }],
    });
    assert.equal(viralLoad.effectiveDateTime, '2024');
  });

  it('replaces ids by study pseudonyms HMAC(study key, id) and keeps references between exported resources', () => {
    const { resources } = fixture();
    const first = deidentify(resources, { studyKey: KEY, asOf: AS_OF, k: 1 }).resources;
    const again = deidentify(resources, { studyKey: KEY, asOf: AS_OF, k: 1 }).resources;
    const otherStudy = deidentify(resources, {
      studyKey: deriveStudyKey(Buffer.alloc(32, 1), 'st-000000000000000000000002'),
      asOf: AS_OF,
      k: 1,
    }).resources;
    assert.deepEqual(first, again, 'the same study key gives the same export');
    const ids = new Set(first.map((r) => `${r.resourceType}/${String(r.id)}`));
    for (const r of first) assert.match(String(r.id), /^[0-9a-f]{32}$/);
    const otherIds = new Set(otherStudy.map((r) => `${r.resourceType}/${String(r.id)}`));
    assert.equal([...ids].filter((id) => otherIds.has(id)).length, 0, 'another study cannot link its pseudonyms');
    const patient = first.find((r) => r.resourceType === 'Patient');
    for (const record of first.filter((r) => r.resourceType !== 'Patient')) {
      for (const reference of referencesIn(record))
        assert.ok(ids.has(reference), `${reference} resolves in the export`);
    }
    const observation = first.find((r) => hasCode(r, '20447-9'));
    assert.deepEqual(observation?.subject, { reference: `Patient/${String(patient?.id)}` });
    assert.ok(
      String(asObject(observation.encounter)?.reference).startsWith('Encounter/'),
      'urn:uuid references map too',
    );
    const claim = first.find((r) => r.resourceType === 'Claim');
    assert.ok(String(asObject(asArray(claim?.insurance)[0])?.coverage).length > 0);
  });

  it('groups ages over 89 as "90+" and drops their birth year', () => {
    const at = (birthDate: string) => {
      const { resources } = deidentify([{ resourceType: 'Patient', id: 'x', gender: 'female', birthDate }], {
        studyKey: KEY,
        asOf: AS_OF,
        k: 1,
      });
      return resources[0] as FhirResource;
    };
    const eightyNine = at('1935-07-01'); // 89 on 2025-06-30
    assert.equal(eightyNine.birthDate, '1935');
    const ninety = at('1935-06-30'); // 90 on 2025-06-30
    assert.equal(ninety.birthDate, undefined);
    assert.deepEqual(ninety.extension, [{ url: AGE_90_PLUS_EXTENSION, valueString: '90+' }]);
    assert.equal(at('1935').birthDate, undefined, 'a bare year that may mean 90 counts as 90+');
    assert.equal(at('1936').birthDate, '1936');
    assert.equal(extractFeatures([ninety], AS_OF)[0]?.age, 90);
    const old = deidentify(
      [
        { resourceType: 'Patient', id: 'y', birthDate: '1930-01-01' },
        { resourceType: 'Condition', id: 'c', subject: { reference: 'Patient/y' }, onsetAge: { value: 93, unit: 'a' } },
      ],
      { studyKey: KEY, asOf: AS_OF, k: 1 },
    ).resources;
    assert.deepEqual(old[1]?.onsetAge, {
      value: 90,
      comparator: '>=',
      unit: 'years',
      system: 'http://unitsofmeasure.org',
      code: 'a',
    });
  });

  it('suppresses patients whose quasi-identifiers occur fewer than k times, with all their records, and reports it', () => {
    const patient = (id: string, birthDate: string, zip: string): FhirResource => ({
      resourceType: 'Patient',
      id,
      gender: 'female',
      birthDate,
      address: [{ state: 'Massachusetts', postalCode: zip }],
    });
    const record = (id: string, patientId: string): FhirResource => ({
      resourceType: 'Observation',
      id,
      status: 'final',
      subject: { reference: `Patient/${patientId}` },
    });
    const crowd = Array.from({ length: 6 }, (_, i) => [
      patient(`c${i}`, `1980-0${i + 1}-10`, '02118'),
      record(`o${i}`, `c${i}`),
    ]);
    const loners = [
      patient('l1', '1980-05-05', '01201'),
      record('ol1', 'l1'),
      record('ol2', 'l1'),
      patient('l2', '1950-01-01', '02118'),
    ];
    const { resources, report } = deidentify([...crowd.flat(), ...loners], { studyKey: KEY, asOf: AS_OF });
    assert.equal(resources.filter((r) => r.resourceType === 'Patient').length, 6);
    assert.equal(resources.length, 12);
    assert.deepEqual(report.patients, { input: 8, exported: 6, suppressed: 2 });
    assert.deepEqual(report.records, { input: 8, exported: 6, suppressed: 2, unlinked: 0 });
    assert.deepEqual(report.kAnonymity, {
      k: 5,
      quasiIdentifiers: ['birthYear', 'gender', 'zip3'],
      equivalenceClasses: 3,
      suppressedClasses: 2,
      suppressedPatients: 2,
      kAchieved: 6,
    });
  });

  it('can publish birth years in bands to keep more patients k-anonymous', () => {
    const patients = [1971, 1972, 1973, 1974, 1975].map((year, i): FhirResource => ({
      resourceType: 'Patient',
      id: `p${i}`,
      gender: 'male',
      birthDate: `${year}-03-03`,
    }));
    const exact = deidentify(patients, { studyKey: KEY, asOf: AS_OF, k: 4 });
    assert.equal(exact.report.patients.exported, 0);
    assert.equal(exact.report.kAnonymity.kAchieved, null);
    const banded = deidentify(patients, { studyKey: KEY, asOf: AS_OF, k: 4, birthYearBand: 5 });
    assert.equal(banded.report.patients.exported, 4, '1975 falls in the next band');
    assert.deepEqual(banded.resources[0]?.extension, [{ url: BIRTH_YEAR_RANGE_EXTENSION, valueString: '1970-1974' }]);
    assert.equal(banded.resources[0].birthDate, undefined);
  });

  it('leaves no original identifier of a synthetic population in the export', () => {
    const resources = [...generatePopulation({ seed: 'deid-test', count: 300 })].flatMap((b) =>
      b.entry.map((e) => e.resource),
    );
    const secrets = new Set<string>();
    for (const r of resources) {
      secrets.add(String(r.id));
      if (r.resourceType !== 'Patient') continue;
      for (const id of asArray(r.identifier)) secrets.add(String(asObject(id)?.value));
      for (const t of asArray(r.telecom)) secrets.add(String(asObject(t)?.value));
      for (const n of asArray(r.name)) secrets.add(String(asObject(n)?.family));
      for (const a of asArray(r.address)) {
        secrets.add(String(asArray(asObject(a)?.line)[0]));
        secrets.add(String(asObject(a)?.postalCode));
        secrets.add(String(asObject(a)?.city));
      }
    }
    const { resources: exported, report } = deidentify(resources, {
      studyKey: KEY,
      asOf: '2025-01-01',
      birthYearBand: 10,
    });
    const values = new Set(freeStrings(exported));
    for (const secret of secrets) assert.ok(!values.has(secret), `"${secret}" leaked`);
    const text = JSON.stringify(exported);
    for (const r of resources.filter((x) => x.resourceType === 'Patient').slice(0, 50)) {
      for (const n of asArray(r.name)) assert.ok(!text.includes(`"${String(asObject(n)?.family)}"`));
    }
    const ids = new Set(exported.map((r) => `${r.resourceType}/${String(r.id)}`));
    for (const reference of referencesIn(exported)) assert.ok(ids.has(reference), `${reference} resolves`);
    assert.equal(report.patients.input, 300);
    assert.equal(report.patients.exported + report.patients.suppressed, 300);
    assert.ok(report.kAnonymity.kAchieved === null || report.kAnonymity.kAchieved >= 5);
    assert.equal(report.records.exported, exported.length - report.patients.exported);
  });

  it('refuses a short study key, a bad date, k or band', () => {
    const patients: FhirResource[] = [{ resourceType: 'Patient', id: 'p' }];
    const bad = [
      { studyKey: Buffer.alloc(16), asOf: AS_OF },
      { studyKey: KEY, asOf: 'today' },
      { studyKey: KEY, asOf: AS_OF, k: 0 },
      { studyKey: KEY, asOf: AS_OF, birthYearBand: 0 },
    ];
    for (const options of bad) assert.throws(() => deidentify(patients, options), { code: 'INVALID_ARGUMENT' });
  });
});
