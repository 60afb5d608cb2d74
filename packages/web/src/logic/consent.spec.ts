import { describe, expect, it } from 'vitest';
import { EMPTY_DRAFT, buildConsent, describeConsent, describeDraft, draftProblems } from './consent.js';
import type { ConsentDraft } from './consent.js';

const draft: ConsentDraft = {
  actor: 'Practitioner/dr.house',
  actorName: 'Dr. Gregory House',
  resourceTypes: ['Observation'],
  sensitive: [],
  purpose: 'TREAT',
  until: '2026-12-31',
};

describe('consent drafts', () => {
  it('lists every missing field of an empty draft, in form order', () => {
    expect(draftProblems({ ...EMPTY_DRAFT }, '2026-11-26')).toEqual([
      'Choose who may see your data.',
      'Choose at least one kind of record.',
      'Choose the last day of access.',
    ]);
  });

  it('refuses a last day in the past but accepts today', () => {
    expect(draftProblems({ ...draft, until: '2026-11-25' }, '2026-11-26')).toEqual([
      'The last day of access must not be in the past.',
    ]);
    expect(draftProblems({ ...draft, until: '2026-11-26' }, '2026-11-26')).toEqual([]);
  });

  it('builds the opt-in consent the contract expects, with every sensitive label and R denied by default', () => {
    const consent = buildConsent(draft, 'Patient/pt-1');
    expect(consent.policyRule?.coding?.[0]?.code).toBe('OPTIN');
    expect(consent.patient?.reference).toBe('Patient/pt-1');
    expect(consent.provision?.type).toBe('deny');
    const [permit, deny] = consent.provision?.provision ?? [];
    expect(permit?.type).toBe('permit');
    expect(permit?.actor?.[0]?.reference.reference).toBe('Practitioner/dr.house');
    expect(permit?.actor?.[0]?.role.coding?.[0]?.code).toBe('IRCP');
    expect(permit?.action?.[0]?.coding?.[0]?.code).toBe('access');
    expect(permit?.purpose?.[0]?.code).toBe('TREAT');
    expect(permit?.class?.map((c) => c.code)).toEqual(['Observation']);
    expect(permit?.period?.end).toBe('2026-12-31');
    expect(deny?.type).toBe('deny');
    expect(deny?.securityLabel?.map((c) => c.code)).toEqual([
      'HIV',
      'PSY',
      'ETH',
      'ETHUD',
      'OPIOIDUD',
      'SUD',
      'SEX',
      'SDV',
      'R',
    ]);
  });

  it('leaves a ticked sensitive label out of the deny, and drops R once any is ticked', () => {
    const consent = buildConsent({ ...draft, sensitive: ['PSY'] }, 'Patient/pt-1');
    const codes = consent.provision?.provision?.[1]?.securityLabel?.map((c) => c.code);
    expect(codes).not.toContain('PSY');
    expect(codes).not.toContain('R');
    expect(codes).toContain('HIV');
  });

  it('uses the research action "use" for research', () => {
    const consent = buildConsent({ ...draft, purpose: 'HRESCH' }, 'Patient/pt-1');
    expect(consent.provision?.provision?.[0]?.action?.[0]?.coding?.[0]?.code).toBe('use');
  });

  it('previews the draft in words, saying that sensitive data stays hidden', () => {
    expect(describeDraft(draft).sentence).toBe(
      'Dr. Gregory House may see your vital signs and lab results for treatment until 31 December 2026. ' +
        'Sensitive information (such as HIV, mental health or substance use) stays hidden.',
    );
  });

  it('describes a stored consent the same way it was previewed', () => {
    const names = new Map([['Practitioner/dr.house', 'Dr. Gregory House']]);
    const stored = buildConsent(
      { ...draft, resourceTypes: ['Observation', 'Condition'], sensitive: ['HIV'] },
      'Patient/pt-1',
    );
    const [words] = describeConsent(stored, names);
    expect(words?.who).toBe('Dr. Gregory House');
    expect(words?.what).toBe('your vital signs and lab results and conditions and diagnoses');
    expect(words?.sensitive).toMatch(/^Sensitive information shared: HIV\/AIDS\. Still hidden: Mental health, /);
  });

  it('names groups and organisations in words', () => {
    const consent = buildConsent(
      { ...draft, actor: 'Group/HospitalBMSP-clinician', actorName: undefined },
      'Patient/pt-1',
    );
    expect(describeConsent(consent)[0]?.who).toBe('all clinicians at Hospital B');
    expect(describeDraft({ ...draft, actor: 'Organization/InsurerMSP', actorName: undefined }).who).toBe('Insurer');
  });
});
