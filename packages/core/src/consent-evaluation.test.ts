import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { ConsentAction } from './codes.js';
import { parseFhirConsent } from './consent-fhir.js';
import {
  combineConsents,
  consentRecipients,
  consentRefusesEverything,
  consentSharesForTreatment,
  evaluateConsent,
  provisionMatches,
  recordConfidentiality,
  requesterReferences,
} from './consent-evaluation.js';
import type { ConsentRequest, Requester } from './consent-evaluation.js';
import type { Coding, ConsentRecord, Provision } from './consent-model.js';
import {
  ACT_CODE,
  conf,
  DR_A,
  DR_B,
  fact,
  INSURER,
  ircp,
  PROVISION_A,
  PROVISION_B,
  PROVISION_C,
  PROVISION_D,
  PROVISION_E,
  prov,
  RESEARCHER,
  sens,
  stored,
  who,
} from './testing/fhir-fixtures.js';

/**
 * A ledger consent version built from a §1.1 provision through the real parser. The consent is submitted as a new one
 * (without id; the contract makes ids) by a patient whose pseudonymous id has the ledger's form.
 */
function fromFhir(id: string, provisionJson: string, policyRule: 'OPTIN' | 'OPTOUT', status = 'active'): ConsentRecord {
  const input = parseFhirConsent({
    resourceType: 'Consent',
    status,
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: 'Patient/pt-000000000000000000007f3a' },
    policyRule: { coding: [{ system: ACT_CODE, code: policyRule }] },
    provision: JSON.parse(provisionJson) as unknown,
  });
  return stored(id, input.provision, input.policyRule, input.status);
}

const DR_LEE = who('HospitalBMSP', 'clinician', 'dr-lee');
const DR_OTHER = who('HospitalBMSP', 'clinician', 'dr-other');

const JUNE_2025 = Date.parse('2025-06-01T12:00:00Z');

function request(
  requester: Requester,
  purpose: string,
  action: ConsentAction = 'access',
  time = JUNE_2025,
): ConsentRequest {
  return { requester, purpose, action, time };
}

void describe('requesterReferences', () => {
  void it('gives a practitioner, their organisation and their descriptive group', () => {
    assert.deepEqual(requesterReferences('HospitalBMSP', 'clinician', 'dr-lee'), [
      'Practitioner/dr-lee',
      'Organization/HospitalBMSP',
      'Group/HospitalBMSP-clinician',
    ]);
  });

  void it('gives a patient their pseudonymous Patient reference', () => {
    assert.deepEqual(requesterReferences('HospitalAMSP', 'patient', 'u-9', 'p-7f3a'), [
      'Patient/p-7f3a',
      'Organization/HospitalAMSP',
      'Group/HospitalAMSP-patient',
    ]);
  });
});

void describe('§2.2 worked examples', () => {
  void describe('(a) HospitalB clinicians may read Observations for treatment until 2025-12-31', () => {
    const a = fromFhir('c-a', PROVISION_A, 'OPTIN');

    void it('permits a HospitalB clinician reading an Observation with TREAT before 2026', () => {
      assert.equal(evaluateConsent(a, request(DR_B, 'TREAT'), fact()), 'permit');
    });

    void it('still permits on the last second of 2025-12-31 (a date end covers the whole day)', () => {
      assert.equal(
        evaluateConsent(a, request(DR_B, 'TREAT', 'access', Date.parse('2025-12-31T23:59:59.999Z')), fact()),
        'permit',
      );
    });

    void it('does not permit the same clinician reading a Condition (the root deny applies)', () => {
      const verdict = combineConsents([a], request(DR_B, 'TREAT'), fact({ resourceType: 'Condition' }));
      assert.equal(verdict.decision === 'permit', false);
      assert.equal(evaluateConsent(a, request(DR_B, 'TREAT'), fact({ resourceType: 'Condition' })) === 'permit', false);
    });

    void it('does not permit after the period end', () => {
      const after = request(DR_B, 'TREAT', 'access', Date.parse('2026-01-01T00:00:00Z'));
      assert.notEqual(evaluateConsent(a, after, fact()), 'permit');
      assert.notEqual(combineConsents([a], after, fact()).decision, 'permit');
    });

    void it('does not permit another purpose, another action or another organisation', () => {
      assert.notEqual(evaluateConsent(a, request(DR_B, 'ETREAT'), fact()), 'permit');
      assert.notEqual(evaluateConsent(a, request(DR_B, 'TREAT', 'use'), fact()), 'permit');
      assert.notEqual(evaluateConsent(a, request(DR_A, 'TREAT'), fact()), 'permit');
      assert.notEqual(evaluateConsent(a, request(INSURER, 'TREAT'), fact()), 'permit');
    });
  });

  void describe('(b) dr-lee may see everything except sensitive categories', () => {
    const b = fromFhir('c-b', PROVISION_B, 'OPTIN');

    void it('denies dr-lee an HIV-tagged lab result', () => {
      assert.equal(evaluateConsent(b, request(DR_LEE, 'TREAT'), fact({ securityLabels: [sens('HIV')] })), 'deny');
    });

    void it('permits dr-lee an untagged lab result', () => {
      assert.equal(evaluateConsent(b, request(DR_LEE, 'TREAT'), fact()), 'permit');
    });

    void it('denies each listed sensitivity label', () => {
      for (const code of ['HIV', 'PSY', 'ETH', 'SUD', 'SEX', 'SDV']) {
        assert.equal(
          evaluateConsent(b, request(DR_LEE, 'TREAT'), fact({ securityLabels: [sens(code)] })),
          'deny',
          code,
        );
      }
    });

    void it('denies unlisted sensitivity labels too, because sensitive data counts as R', () => {
      for (const code of ['ETHUD', 'OPIOIDUD']) {
        assert.equal(
          evaluateConsent(b, request(DR_LEE, 'TREAT'), fact({ securityLabels: [sens(code)] })),
          'deny',
          code,
        );
      }
    });

    void it('denies restricted and very restricted data and permits normal or lower', () => {
      for (const [code, verdict] of [
        ['U', 'permit'],
        ['L', 'permit'],
        ['M', 'permit'],
        ['N', 'permit'],
        ['R', 'deny'],
        ['V', 'deny'],
      ] as const) {
        assert.equal(
          evaluateConsent(b, request(DR_LEE, 'TREAT'), fact({ securityLabels: [conf(code)] })),
          verdict,
          code,
        );
      }
    });

    void it('is not applicable to another practitioner', () => {
      assert.equal(
        evaluateConsent(b, request(DR_OTHER, 'TREAT'), fact({ securityLabels: [sens('HIV')] })),
        'not-applicable',
      );
    });

    void it('vetoes another consent permitting dr-lee (deny wins across consents)', () => {
      const broad = stored(
        'c-broad',
        prov('permit', { actor: [{ role: 'IRCP', reference: 'Group/HospitalBMSP-clinician' }] }),
        'OPTOUT',
      );
      const verdict = combineConsents([broad, b], request(DR_LEE, 'TREAT'), fact({ securityLabels: [sens('PSY')] }));
      assert.deepEqual(verdict, { decision: 'deny', deciding: ['Consent/c-b/_history/1'] });
    });
  });

  void describe('(c) research opt-in for a set of categories', () => {
    const c = fromFhir('c-c', PROVISION_C, 'OPTIN');
    const research = (parts: Partial<ConsentRequest> = {}): ConsentRequest => ({
      ...request(RESEARCHER, 'HRESCH', 'use'),
      ...parts,
    });

    void it('permits research use of in-scope, unrestricted data from 2018 on', () => {
      for (const resourceType of ['Observation', 'Condition', 'MedicationStatement']) {
        assert.equal(
          evaluateConsent(c, research(), fact({ resourceType, clinicalDate: '2020-05-01' })),
          'permit',
          resourceType,
        );
      }
      assert.equal(evaluateConsent(c, research(), fact({ clinicalDate: '2018-01-01' })), 'permit');
    });

    void it('excludes restricted data: the sibling deny beats the permit', () => {
      for (const labels of [[conf('R')], [conf('V')], [sens('HIV')], [sens('SUD'), sens('ETH')]]) {
        const verdict = combineConsents([c], research(), fact({ securityLabels: labels }));
        assert.notEqual(verdict.decision, 'permit', JSON.stringify(labels));
      }
    });

    void it('excludes data dated before 2018', () => {
      assert.notEqual(evaluateConsent(c, research(), fact({ clinicalDate: '2017-12-31' })), 'permit');
      assert.notEqual(evaluateConsent(c, research(), fact({ clinicalDate: '2017-12-31T23:59:59Z' })), 'permit');
    });

    void it('does not vouch for data whose clinical date is unknown', () => {
      assert.notEqual(evaluateConsent(c, research(), fact({ clinicalDate: undefined })), 'permit');
    });

    void it('excludes resource types outside the list, and reads (access) rather than use', () => {
      assert.notEqual(evaluateConsent(c, research(), fact({ resourceType: 'Claim' })), 'permit');
      assert.notEqual(evaluateConsent(c, research({ action: 'access' }), fact()), 'permit');
    });

    void it('applies only between 2025-03-01 and 2030-02-28', () => {
      assert.notEqual(evaluateConsent(c, research({ time: Date.parse('2025-02-28T23:59:59Z') }), fact()), 'permit');
      assert.equal(evaluateConsent(c, research({ time: Date.parse('2025-03-01T00:00:00Z') }), fact()), 'permit');
      assert.equal(evaluateConsent(c, research({ time: Date.parse('2030-02-28T23:59:59Z') }), fact()), 'permit');
      assert.notEqual(evaluateConsent(c, research({ time: Date.parse('2030-03-01T00:00:00Z') }), fact()), 'permit');
    });

    void it('as an OPTIN consent, does not turn its exclusions into vetoes of other consents', () => {
      assert.equal(evaluateConsent(c, research(), fact({ securityLabels: [conf('R')] })), 'not-applicable');
    });
  });

  void describe('(d) payment access for the insurer', () => {
    const d = fromFhir('c-d', PROVISION_D, 'OPTIN');

    void it('permits the insurer reading a Claim for HPAYMT', () => {
      assert.equal(evaluateConsent(d, request(INSURER, 'HPAYMT'), fact({ resourceType: 'Claim' })), 'permit');
    });

    void it('permits the other listed types and nothing else', () => {
      for (const resourceType of ['Coverage', 'Encounter', 'Procedure']) {
        assert.equal(evaluateConsent(d, request(INSURER, 'HPAYMT'), fact({ resourceType })), 'permit', resourceType);
      }
      assert.notEqual(evaluateConsent(d, request(INSURER, 'HPAYMT'), fact({ resourceType: 'Observation' })), 'permit');
    });

    void it('does not permit another purpose', () => {
      assert.notEqual(evaluateConsent(d, request(INSURER, 'TREAT'), fact({ resourceType: 'Claim' })), 'permit');
    });
  });

  void describe('(e) the patient opts out of treatment access by their home hospital', () => {
    const e = fromFhir('c-e', PROVISION_E, 'OPTOUT');

    void it('denies a HospitalA clinician with TREAT', () => {
      assert.equal(evaluateConsent(e, request(DR_A, 'TREAT'), fact()), 'deny');
    });

    void it('is not applicable to a HospitalB clinician', () => {
      assert.equal(evaluateConsent(e, request(DR_B, 'TREAT'), fact()), 'not-applicable');
    });

    void it('is not applicable to HospitalA with another purpose', () => {
      assert.equal(evaluateConsent(e, request(DR_A, 'ETREAT'), fact()), 'not-applicable');
    });

    void it('overrides a broader permit', () => {
      const broad = stored(
        'c-broad',
        prov('permit', { actor: [{ role: 'IRCP', reference: 'Organization/HospitalAMSP' }] }),
        'OPTOUT',
      );
      assert.deepEqual(combineConsents([broad, e], request(DR_A, 'TREAT'), fact()), {
        decision: 'deny',
        deciding: ['Consent/c-e/_history/1'],
      });
    });
  });
});

void describe('confidentiality: the high-water mark', () => {
  void describe('recordConfidentiality', () => {
    const cases: [string, Coding[], string][] = [
      ['untagged data counts as N', [], 'N'],
      ['an explicit label is taken as is', [conf('L')], 'L'],
      ['an explicit V is taken as is', [conf('V')], 'V'],
      ['the highest of several labels wins', [conf('L'), conf('R'), conf('M')], 'R'],
      ['a sensitivity label raises the level to R', [sens('HIV')], 'R'],
      ['a sensitivity label raises a low explicit label to R', [conf('L'), sens('PSY')], 'R'],
      ['a sensitivity label does not lower V', [conf('V'), sens('PSY')], 'V'],
      ['labels of other systems are ignored', [{ system: 'http://example.org/tags', code: 'R' }], 'N'],
      ['ActCodes that are not sensitivity codes do not raise the level', [sens('OPTIN')], 'N'],
    ];
    for (const [name, labels, expected] of cases) {
      void it(name, () => {
        assert.equal(recordConfidentiality(labels), expected);
      });
    }
  });

  void describe('a permit of a level covers data at or below it; a deny covers data at or above it', () => {
    const cases: ['permit' | 'deny', string, Coding[], boolean][] = [
      ['permit', 'R', [], true],
      ['permit', 'R', [conf('U')], true],
      ['permit', 'R', [conf('R')], true],
      ['permit', 'R', [sens('HIV')], true],
      ['permit', 'R', [conf('V')], false],
      ['permit', 'R', [conf('V'), sens('HIV')], false],
      ['permit', 'N', [], true],
      ['permit', 'N', [conf('M')], true],
      ['permit', 'N', [conf('R')], false],
      ['permit', 'N', [sens('PSY')], false],
      ['permit', 'M', [], false],
      ['deny', 'R', [], false],
      ['deny', 'R', [conf('N')], false],
      ['deny', 'R', [conf('L')], false],
      ['deny', 'R', [conf('R')], true],
      ['deny', 'R', [conf('V')], true],
      ['deny', 'R', [sens('SDV')], true],
      ['deny', 'V', [sens('SDV')], false],
      ['deny', 'N', [], true],
      ['deny', 'M', [conf('L')], false],
    ];
    for (const [type, level, labels, expected] of cases) {
      const labelText = labels.length === 0 ? 'untagged' : labels.map((label) => label.code).join('+');
      void it(`${type} ${level} ${expected ? 'covers' : 'does not cover'} ${labelText} data`, () => {
        const provision = prov(type, { securityLabel: [conf(level)] });
        assert.equal(provisionMatches(provision, request(DR_B, 'TREAT'), fact({ securityLabels: labels })), expected);
      });
    }
  });

  void it('matches a sensitivity code exactly, not by level', () => {
    const provision = prov('deny', { securityLabel: [sens('HIV')] });
    assert.equal(provisionMatches(provision, request(DR_B, 'TREAT'), fact({ securityLabels: [sens('HIV')] })), true);
    assert.equal(provisionMatches(provision, request(DR_B, 'TREAT'), fact({ securityLabels: [sens('PSY')] })), false);
    assert.equal(provisionMatches(provision, request(DR_B, 'TREAT'), fact({ securityLabels: [conf('V')] })), false);
  });
});

void describe('provisionMatches: elements', () => {
  const req = request(DR_B, 'TREAT');

  void it('matches everything when no element is populated', () => {
    assert.equal(provisionMatches(prov('permit'), req, fact()), true);
  });

  void describe('actor', () => {
    const actor = (role: 'IRCP' | 'PRCP' | 'CST' | 'AUT', reference: string): Provision =>
      prov('permit', { actor: [{ role, reference }] });

    void it('IRCP matches any of the requester identities: practitioner, organisation, group', () => {
      for (const reference of ['Practitioner/dr-b', 'Organization/HospitalBMSP', 'Group/HospitalBMSP-clinician']) {
        assert.equal(provisionMatches(actor('IRCP', reference), req, fact()), true, reference);
      }
    });

    void it('IRCP does not match other identities', () => {
      for (const reference of [
        'Practitioner/dr-a',
        'Organization/HospitalAMSP',
        'Group/HospitalBMSP-researcher',
        'Patient/dr-b',
      ]) {
        assert.equal(provisionMatches(actor('IRCP', reference), req, fact()), false, reference);
      }
    });

    void it('compares references exactly and case-sensitively', () => {
      assert.equal(provisionMatches(actor('IRCP', 'Practitioner/DR-B'), req, fact()), false);
      assert.equal(provisionMatches(actor('IRCP', 'organization/HospitalBMSP'), req, fact()), false);
      assert.equal(provisionMatches(actor('IRCP', 'Organization/HospitalB'), req, fact()), false);
    });

    void it('reads PRCP as IRCP', () => {
      assert.equal(provisionMatches(actor('PRCP', 'Practitioner/dr-b'), req, fact()), true);
      assert.equal(provisionMatches(actor('PRCP', 'Practitioner/dr-a'), req, fact()), false);
    });

    void it('CST matches data held by the referenced organisation, whoever asks', () => {
      assert.equal(
        provisionMatches(actor('CST', 'Organization/HospitalAMSP'), req, fact({ custodian: 'HospitalAMSP' })),
        true,
      );
      assert.equal(
        provisionMatches(actor('CST', 'Organization/HospitalAMSP'), req, fact({ custodian: 'HospitalBMSP' })),
        false,
      );
      // the requester's own organisation is not what CST is about
      assert.equal(
        provisionMatches(actor('CST', 'Organization/HospitalBMSP'), req, fact({ custodian: 'HospitalAMSP' })),
        false,
      );
    });

    void it('AUT matches data written by the referenced practitioner', () => {
      assert.equal(
        provisionMatches(actor('AUT', 'Practitioner/dr-kim'), req, fact({ author: 'Practitioner/dr-kim' })),
        true,
      );
      assert.equal(
        provisionMatches(actor('AUT', 'Practitioner/dr-kim'), req, fact({ author: 'Practitioner/dr-a' })),
        false,
      );
      assert.equal(provisionMatches(actor('AUT', 'Practitioner/dr-kim'), req, fact({ author: undefined })), false);
      // the requester is not the author
      assert.equal(
        provisionMatches(actor('AUT', 'Practitioner/dr-b'), req, fact({ author: 'Practitioner/dr-a' })),
        false,
      );
    });

    void it('AUT with an organisation matches data of that custodian organisation', () => {
      assert.equal(
        provisionMatches(actor('AUT', 'Organization/HospitalAMSP'), req, fact({ custodian: 'HospitalAMSP' })),
        true,
      );
      assert.equal(
        provisionMatches(actor('AUT', 'Organization/HospitalAMSP'), req, fact({ custodian: 'HospitalBMSP' })),
        false,
      );
    });

    void it('matches when any one of several actors matches (OR)', () => {
      const either = prov('permit', {
        actor: [
          { role: 'IRCP', reference: 'Practitioner/dr-zz' },
          { role: 'IRCP', reference: 'Group/HospitalBMSP-clinician' },
        ],
      });
      assert.equal(provisionMatches(either, req, fact()), true);
    });
  });

  void describe('action', () => {
    void it('matches a listed action and no other; an absent action means all actions', () => {
      const listed = prov('permit', { action: ['access', 'disclose'] });
      assert.equal(provisionMatches(listed, request(DR_B, 'TREAT', 'access'), fact()), true);
      assert.equal(provisionMatches(listed, request(DR_B, 'TREAT', 'disclose'), fact()), true);
      assert.equal(provisionMatches(listed, request(DR_B, 'TREAT', 'use'), fact()), false);
      for (const action of ['collect', 'access', 'use', 'disclose', 'correct'] as const) {
        assert.equal(provisionMatches(prov('permit'), request(DR_B, 'TREAT', action), fact()), true, action);
      }
    });
  });

  void describe('purpose', () => {
    void it('matches a listed purpose only', () => {
      const listed = prov('permit', { purpose: ['TREAT', 'HPAYMT'] });
      assert.equal(provisionMatches(listed, request(DR_B, 'TREAT'), fact()), true);
      assert.equal(provisionMatches(listed, request(DR_B, 'HPAYMT'), fact()), true);
      assert.equal(provisionMatches(listed, request(DR_B, 'ETREAT'), fact()), false);
    });

    void it('lets HRESCH cover each of its specialisations', () => {
      const research = prov('permit', { purpose: ['HRESCH'] });
      // Written out, not taken from HRESCH_SPECIALISATIONS: the test checks that list, so it repeats it on purpose.
      for (const purpose of [
        'BIORCH',
        'CLINTRCH',
        'CLINTRCHNPC',
        'CLINTRCHPC',
        'PRECLINTRCH',
        'DSRCH',
        'POARCH',
        'TRANSRCH',
      ]) {
        assert.equal(provisionMatches(research, request(RESEARCHER, purpose, 'use'), fact()), true, purpose);
      }
      assert.equal(provisionMatches(research, request(RESEARCHER, 'HRESCH', 'use'), fact()), true);
    });

    void it('does not let a specialisation cover HRESCH or a sibling specialisation', () => {
      const clinical = prov('permit', { purpose: ['CLINTRCH'] });
      assert.equal(provisionMatches(clinical, request(RESEARCHER, 'CLINTRCH', 'use'), fact()), true);
      assert.equal(provisionMatches(clinical, request(RESEARCHER, 'HRESCH', 'use'), fact()), false);
      assert.equal(provisionMatches(clinical, request(RESEARCHER, 'BIORCH', 'use'), fact()), false);
    });

    void it('does not let HRESCH cover non-research purposes', () => {
      assert.equal(provisionMatches(prov('permit', { purpose: ['HRESCH'] }), request(DR_B, 'TREAT'), fact()), false);
      assert.equal(provisionMatches(prov('permit', { purpose: ['HRESCH'] }), request(DR_B, 'PUBHLTH'), fact()), false);
    });
  });

  void describe('class and code', () => {
    void it('matches any listed resource type (OR)', () => {
      const listed = prov('permit', { class: ['Condition', 'Observation'] });
      assert.equal(provisionMatches(listed, req, fact({ resourceType: 'Observation' })), true);
      assert.equal(provisionMatches(listed, req, fact({ resourceType: 'Condition' })), true);
      assert.equal(provisionMatches(listed, req, fact({ resourceType: 'Claim' })), false);
    });

    void it('matches when any coding of the record code is listed, by system and code', () => {
      const listed = prov('deny', { code: [{ system: 'http://loinc.org', code: '8867-4' }] });
      const codes = [
        { system: 'http://snomed.info/sct', code: '364075005' },
        { system: 'http://loinc.org', code: '8867-4' },
      ];
      assert.equal(provisionMatches(listed, req, fact({ codes })), true);
      assert.equal(
        provisionMatches(listed, req, fact({ codes: [{ system: 'http://example.org', code: '8867-4' }] })),
        false,
      );
      assert.equal(provisionMatches(listed, req, fact({ codes: [] })), false);
    });
  });

  void describe('period', () => {
    void it('includes both bounds and leaves a missing bound open', () => {
      const bounded = prov('permit', { period: { start: '2025-03-01', end: '2025-03-31' } });
      const at = (iso: string): ConsentRequest => request(DR_B, 'TREAT', 'access', Date.parse(iso));
      assert.equal(provisionMatches(bounded, at('2025-02-28T23:59:59.999Z'), fact()), false);
      assert.equal(provisionMatches(bounded, at('2025-03-01T00:00:00.000Z'), fact()), true);
      assert.equal(provisionMatches(bounded, at('2025-03-31T23:59:59.999Z'), fact()), true);
      assert.equal(provisionMatches(bounded, at('2025-04-01T00:00:00.000Z'), fact()), false);
      assert.equal(
        provisionMatches(prov('permit', { period: { start: '2025-03-01' } }), at('2099-01-01T00:00:00Z'), fact()),
        true,
      );
      assert.equal(
        provisionMatches(prov('permit', { period: { end: '2025-03-31' } }), at('1999-01-01T00:00:00Z'), fact()),
        true,
      );
    });

    void it('compares instants with time zones', () => {
      const bounded = prov('permit', { period: { end: '2025-06-01T12:00:00+02:00' } });
      assert.equal(
        provisionMatches(bounded, request(DR_B, 'TREAT', 'access', Date.parse('2025-06-01T10:00:00Z')), fact()),
        true,
      );
      assert.equal(
        provisionMatches(bounded, request(DR_B, 'TREAT', 'access', Date.parse('2025-06-01T10:00:00.001Z')), fact()),
        false,
      );
    });
  });

  void describe('dataPeriod', () => {
    const window = { start: '2020-01-01', end: '2020-12-31' };

    void it('matches records whose clinical date lies inside', () => {
      for (const clinicalDate of ['2020-01-01', '2020-06', '2020', '2020-12-31T23:59:59Z']) {
        assert.equal(
          provisionMatches(prov('permit', { dataPeriod: window }), req, fact({ clinicalDate })),
          true,
          clinicalDate,
        );
      }
    });

    void it('does not match records dated outside, or only partly inside', () => {
      for (const clinicalDate of ['2019-12-31', '2021-01-01', '2021', '2019-12-31T23:59:59Z']) {
        assert.equal(
          provisionMatches(prov('permit', { dataPeriod: window }), req, fact({ clinicalDate })),
          false,
          clinicalDate,
        );
      }
      // a year-precision date is only partly inside a window that starts mid-year
      assert.equal(
        provisionMatches(prov('permit', { dataPeriod: { start: '2020-07-01' } }), req, fact({ clinicalDate: '2020' })),
        false,
      );
    });

    void it('fails closed when the clinical date is unknown: a permit does not match, a deny does', () => {
      assert.equal(
        provisionMatches(prov('permit', { dataPeriod: window }), req, fact({ clinicalDate: undefined })),
        false,
      );
      assert.equal(
        provisionMatches(prov('deny', { dataPeriod: window }), req, fact({ clinicalDate: undefined })),
        true,
      );
    });
  });

  void describe('data', () => {
    void it('instance: matches the same resource only', () => {
      const instance = prov('deny', { data: [{ meaning: 'instance', reference: 'Observation/o-55' }] });
      assert.equal(provisionMatches(instance, req, fact()), true);
      assert.equal(provisionMatches(instance, req, fact({ recordId: 'o-56' })), false);
      assert.equal(provisionMatches(instance, req, fact({ resourceType: 'Condition' })), false);
    });

    void it('related: matches records that reference the listed Encounter, CarePlan or EpisodeOfCare', () => {
      const related = prov('deny', { data: [{ meaning: 'related', reference: 'Encounter/e-1' }] });
      assert.equal(provisionMatches(related, req, fact({ related: ['CarePlan/cp-1', 'Encounter/e-1'] })), true);
      assert.equal(provisionMatches(related, req, fact({ related: ['Encounter/e-2'] })), false);
      assert.equal(provisionMatches(related, req, fact({ related: [] })), false);
    });

    void it('authoredby: matches records written by the listed actor', () => {
      const authored = prov('deny', { data: [{ meaning: 'authoredby', reference: 'Practitioner/dr-kim' }] });
      assert.equal(provisionMatches(authored, req, fact({ author: 'Practitioner/dr-kim' })), true);
      assert.equal(provisionMatches(authored, req, fact({ author: 'Practitioner/dr-a' })), false);
      assert.equal(provisionMatches(authored, req, fact({ author: undefined })), false);
    });

    void it('matches when any one data entry matches (OR)', () => {
      const either = prov('deny', {
        data: [
          { meaning: 'instance', reference: 'Observation/o-99' },
          { meaning: 'related', reference: 'EpisodeOfCare/ep-1' },
        ],
      });
      assert.equal(provisionMatches(either, req, fact({ related: ['EpisodeOfCare/ep-1'] })), true);
    });
  });

  void it('requires every populated element to match (AND)', () => {
    const all = prov('permit', {
      actor: [{ role: 'IRCP', reference: 'Group/HospitalBMSP-clinician' }],
      action: ['access'],
      purpose: ['TREAT'],
      class: ['Observation'],
    });
    assert.equal(provisionMatches(all, req, fact()), true);
    assert.equal(provisionMatches(all, request(DR_A, 'TREAT'), fact()), false);
    assert.equal(provisionMatches(all, request(DR_B, 'TREAT', 'use'), fact()), false);
    assert.equal(provisionMatches(all, request(DR_B, 'HPAYMT'), fact()), false);
    assert.equal(provisionMatches(all, req, fact({ resourceType: 'Condition' })), false);
  });
});

void describe('evaluateConsent: nesting', () => {
  const req = request(DR_B, 'TREAT');

  void it('is not applicable when the root does not match', () => {
    const consent = stored('c-1', prov('permit', { class: ['Claim'] }), 'OPTOUT');
    assert.equal(evaluateConsent(consent, req, fact()), 'not-applicable');
  });

  void it('gives the root type when no child matches', () => {
    const consent = stored('c-1', prov('permit', { provision: [prov('deny', { class: ['Claim'] })] }), 'OPTOUT');
    assert.equal(evaluateConsent(consent, req, fact()), 'permit');
  });

  void it('lets a matching child override its parent', () => {
    const consent = stored('c-1', prov('permit', { provision: [prov('deny', { class: ['Observation'] })] }), 'OPTOUT');
    assert.equal(evaluateConsent(consent, req, fact()), 'deny');
  });

  void it('lets deny beat permit when matching siblings disagree, whatever their order', () => {
    const permitChild = prov('permit', { class: ['Observation'] });
    const denyChild = prov('deny', { purpose: ['TREAT'] });
    for (const children of [
      [permitChild, denyChild],
      [denyChild, permitChild],
    ]) {
      const consent = stored('c-1', prov('permit', { provision: children }), 'OPTOUT');
      assert.equal(evaluateConsent(consent, req, fact()), 'deny');
    }
  });

  void it('treats an OPTOUT root deny that matches as a deny', () => {
    const consent = fromFhir('c-a-out', PROVISION_A, 'OPTOUT');
    assert.equal(evaluateConsent(consent, req, fact({ resourceType: 'Condition' })), 'deny');
    assert.equal(evaluateConsent(consent, req, fact()), 'permit');
  });
});

void describe('evaluateConsent: status', () => {
  const blanketDeny = prov('deny');

  for (const status of ['draft', 'proposed', 'rejected', 'inactive', 'entered-in-error'] as const) {
    void it(`ignores a ${status} consent`, () => {
      const consent = stored('c-1', blanketDeny, 'OPTOUT', status);
      assert.equal(evaluateConsent(consent, request(DR_A, 'TREAT'), fact()), 'not-applicable');
      assert.deepEqual(combineConsents([consent], request(DR_A, 'TREAT'), fact()), { decision: 'none', deciding: [] });
    });
  }

  void it('enforces an active consent', () => {
    assert.equal(evaluateConsent(stored('c-1', blanketDeny, 'OPTOUT'), request(DR_A, 'TREAT'), fact()), 'deny');
  });

  void it('ignores a revoked (inactive) permit, so access falls back to the default', () => {
    const revoked = fromFhir('c-d', PROVISION_D, 'OPTIN', 'inactive');
    assert.deepEqual(combineConsents([revoked], request(INSURER, 'HPAYMT'), fact({ resourceType: 'Claim' })), {
      decision: 'none',
      deciding: [],
    });
  });
});

void describe('combineConsents', () => {
  const permitB = stored(
    'c-p',
    prov('permit', { actor: [{ role: 'IRCP', reference: 'Organization/HospitalBMSP' }] }),
    'OPTOUT',
    'active',
    2,
  );
  const denyB = stored(
    'c-d',
    prov('deny', { actor: [{ role: 'IRCP', reference: 'Organization/HospitalBMSP' }] }),
    'OPTOUT',
    'active',
    4,
  );
  const unrelated = stored('c-u', prov('permit', { class: ['Claim'] }), 'OPTOUT');

  void it('gives none when there are no consents', () => {
    assert.deepEqual(combineConsents([], request(DR_B, 'TREAT'), fact()), { decision: 'none', deciding: [] });
  });

  void it('gives none when no consent applies', () => {
    assert.deepEqual(combineConsents([unrelated], request(DR_B, 'TREAT'), fact()), { decision: 'none', deciding: [] });
  });

  void it('gives permit, naming the versioned permitting consents', () => {
    const permitAll = stored('c-all', prov('permit'), 'OPTOUT');
    assert.deepEqual(combineConsents([permitB, unrelated, permitAll], request(DR_B, 'TREAT'), fact()), {
      decision: 'permit',
      deciding: ['Consent/c-p/_history/2', 'Consent/c-all/_history/1'],
    });
  });

  void it('lets any deny beat any permit across consents, naming only the denying consents', () => {
    for (const consents of [
      [permitB, denyB],
      [denyB, permitB],
    ]) {
      assert.deepEqual(combineConsents(consents, request(DR_B, 'TREAT'), fact()), {
        decision: 'deny',
        deciding: ['Consent/c-d/_history/4'],
      });
    }
  });
});

void describe('the Medledger OPTIN rule (documented on evaluateConsent)', () => {
  const optInHospitalB = fromFhir('c-a', PROVISION_A, 'OPTIN');
  const insurer = fromFhir('c-d', PROVISION_D, 'OPTIN');
  const claim = fact({ resourceType: 'Claim' });

  void it('an OPTIN base-deny consent for HospitalB does not veto an unrelated insurer consent', () => {
    assert.equal(evaluateConsent(optInHospitalB, request(INSURER, 'HPAYMT'), claim), 'not-applicable');
    assert.deepEqual(combineConsents([optInHospitalB, insurer], request(INSURER, 'HPAYMT'), claim), {
      decision: 'permit',
      deciding: ['Consent/c-d/_history/1'],
    });
  });

  void it('two OPTIN consents each grant their own recipients only', () => {
    assert.deepEqual(combineConsents([optInHospitalB, insurer], request(DR_B, 'TREAT'), fact()), {
      decision: 'permit',
      deciding: ['Consent/c-a/_history/1'],
    });
    assert.deepEqual(combineConsents([optInHospitalB, insurer], request(DR_B, 'TREAT'), claim), {
      decision: 'none',
      deciding: [],
    });
  });

  void it('an OPTOUT root deny does veto', () => {
    const optOutAll = stored('c-out', prov('deny'), 'OPTOUT');
    assert.equal(evaluateConsent(optOutAll, request(INSURER, 'HPAYMT'), claim), 'deny');
    assert.deepEqual(combineConsents([insurer, optOutAll], request(INSURER, 'HPAYMT'), claim), {
      decision: 'deny',
      deciding: ['Consent/c-out/_history/1'],
    });
  });

  void it('an OPTOUT root deny naming the insurer vetoes its OPTIN permit', () => {
    const optOutInsurer = stored(
      'c-out',
      prov('deny', { actor: [{ role: 'IRCP', reference: 'Organization/InsurerMSP' }] }),
      'OPTOUT',
    );
    assert.equal(combineConsents([insurer, optOutInsurer], request(INSURER, 'HPAYMT'), claim).decision, 'deny');
  });

  void it('does not apply to an OPTIN consent with a root permit: its deny child still vetoes', () => {
    const b = fromFhir('c-b', PROVISION_B, 'OPTIN');
    const broad = stored('c-broad', prov('permit'), 'OPTOUT');
    assert.equal(
      combineConsents([broad, b], request(DR_LEE, 'TREAT'), fact({ securityLabels: [sens('HIV')] })).decision,
      'deny',
    );
  });

  void it('an OPTIN consent whose own deny child matches is not applicable rather than a veto', () => {
    const c = fromFhir('c-c', PROVISION_C, 'OPTIN');
    const broadResearch = stored('c-r', prov('permit', { purpose: ['HRESCH'] }), 'OPTOUT');
    assert.deepEqual(
      combineConsents([c, broadResearch], request(RESEARCHER, 'HRESCH', 'use'), fact({ securityLabels: [conf('R')] })),
      {
        decision: 'permit',
        deciding: ['Consent/c-r/_history/1'],
      },
    );
  });
});

void describe('consentRecipients and consentSharesForTreatment (the clinician\'s "shared with you" list)', () => {
  const A = fromFhir('c-a', PROVISION_A, 'OPTIN');
  const B = fromFhir('c-b', PROVISION_B, 'OPTOUT');
  const D = fromFhir('c-d', PROVISION_D, 'OPTIN');
  const E = fromFhir('c-e', PROVISION_E, 'OPTOUT');

  void it('indexes every recipient, root and nested, sorted', () => {
    assert.deepEqual(consentRecipients(A), ['Group/HospitalBMSP-clinician']);
    assert.deepEqual(consentRecipients(B), ['Practitioner/dr-lee']);
    assert.deepEqual(
      consentRecipients(
        stored(
          'c-2',
          prov('deny', { provision: [prov('permit', { actor: [{ role: 'IRCP', reference: 'Z/z' }] })] }),
          'OPTIN',
        ),
      ),
      ['Z/z'],
    );
  });

  void it('lists the practitioner or the organisation group a treatment permit names, while it is in force', () => {
    assert.equal(consentSharesForTreatment(A, DR_LEE, JUNE_2025), true, 'example (a): Group/HospitalBMSP-clinician');
    assert.equal(consentSharesForTreatment(B, DR_LEE, JUNE_2025), true, 'example (b): a root permit naming dr-lee');
    assert.equal(consentSharesForTreatment(B, DR_OTHER, JUNE_2025), false, 'another practitioner of the same org');
    assert.equal(consentSharesForTreatment(A, DR_A, JUNE_2025), false, 'another organisation');
    assert.equal(consentSharesForTreatment(A, DR_LEE, Date.parse('2026-01-02T00:00:00Z')), false, 'after the period');
  });

  void it('does not list for other purposes, objections or inactive consents', () => {
    assert.equal(consentSharesForTreatment(D, who('InsurerMSP', 'clinician', 'x'), JUNE_2025), false, 'HPAYMT');
    assert.equal(consentSharesForTreatment(E, DR_A, JUNE_2025), false, 'example (e) is a deny naming HospitalA');
    const revoked = fromFhir('c-r', PROVISION_A, 'OPTIN', 'inactive');
    assert.equal(consentSharesForTreatment(revoked, DR_LEE, JUNE_2025), false);
  });

  const toOrg = (...deny: Provision[]): Provision =>
    prov('deny', { provision: [prov('permit', { actor: [ircp('Organization/HospitalBMSP')], provision: deny })] });
  const denyLee = (parts: Partial<Provision> = {}): Provision =>
    prov('deny', { actor: [ircp('Practitioner/dr-lee')], ...parts });

  void it('does not list a practitioner whom the same consent denies whatever the record', () => {
    const grandchild = stored('c-g', toOrg(denyLee()), 'OPTIN');
    assert.equal(consentSharesForTreatment(grandchild, DR_LEE, JUNE_2025), false, 'a deny under the permit');
    assert.equal(consentSharesForTreatment(grandchild, DR_OTHER, JUNE_2025), true, 'the rest of the organisation');
    const sibling = stored(
      'c-s',
      prov('deny', { provision: [prov('permit', { actor: [ircp('Organization/HospitalBMSP')] }), denyLee()] }),
      'OPTIN',
    );
    assert.equal(consentSharesForTreatment(sibling, DR_LEE, JUNE_2025), false, 'a deny beside the permit');
    assert.equal(consentSharesForTreatment(sibling, DR_OTHER, JUNE_2025), true);
  });

  void it('still lists when the deny reads a record fact or does not apply now', () => {
    const observationsOnly = stored('c-o', toOrg(denyLee({ class: ['Observation'] })), 'OPTIN');
    assert.equal(consentSharesForTreatment(observationsOnly, DR_LEE, JUNE_2025), true, 'other types are shared');
    const labelled = stored('c-l', toOrg(denyLee({ securityLabel: [sens('PSY')] })), 'OPTIN');
    assert.equal(consentSharesForTreatment(labelled, DR_LEE, JUNE_2025), true, 'unlabelled records are shared');
    const payment = stored('c-p', toOrg(denyLee({ purpose: ['HPAYMT'] })), 'OPTIN');
    assert.equal(consentSharesForTreatment(payment, DR_LEE, JUNE_2025), true, 'a deny for another purpose');
    const ended = stored('c-e', toOrg(denyLee({ period: { end: '2025-05-01' } })), 'OPTIN');
    assert.equal(consentSharesForTreatment(ended, DR_LEE, JUNE_2025), true, 'a deny whose period ended');
    const reallowed = stored(
      'c-x',
      toOrg(denyLee({ provision: [prov('permit', { class: ['Immunization'] })] })),
      'OPTIN',
    );
    assert.equal(consentSharesForTreatment(reallowed, DR_LEE, JUNE_2025), true, 'a permit inside the deny');
  });

  void it('finds the objections that refuse a requester everything, and only those', () => {
    const objection = stored('c-no', denyLee(), 'OPTOUT');
    assert.equal(consentRefusesEverything(objection, DR_LEE, JUNE_2025), true, 'an opt-out naming dr-lee');
    assert.equal(consentRefusesEverything(objection, DR_OTHER, JUNE_2025), false, 'names someone else');
    assert.equal(consentRefusesEverything(stored('c-all', prov('deny'), 'OPTOUT'), DR_LEE, JUNE_2025), true, 'anyone');
    const narrow = stored('c-n', denyLee({ class: ['Observation'] }), 'OPTOUT');
    assert.equal(consentRefusesEverything(narrow, DR_LEE, JUNE_2025), false, 'Observations only');
    assert.equal(
      consentRefusesEverything(stored('c-in', toOrg(denyLee()), 'OPTIN'), DR_LEE, JUNE_2025),
      false,
      "an opt-in's deny only takes back its own permit",
    );
    assert.equal(consentRefusesEverything(stored('c-r', denyLee(), 'OPTOUT', 'inactive'), DR_LEE, JUNE_2025), false);
    assert.equal(
      consentRefusesEverything(stored('c-t', denyLee({ purpose: ['HPAYMT'] }), 'OPTOUT'), DR_LEE, JUNE_2025),
      false,
      'treatment is not objected to',
    );
  });
});
