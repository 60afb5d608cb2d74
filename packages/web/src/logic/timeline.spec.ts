import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { accessLogCsv, filterAccessLog, groupTimeline, toAccessLogEntry } from './timeline.js';

const heartRate: Resource = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  category: [{ coding: [{ code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  effectiveDateTime: '2026-10-01T09:30:00Z',
  valueQuantity: { value: 72, unit: 'beats/minute' },
};
const laterHeartRate: Resource = {
  ...heartRate,
  id: 'o2',
  effectiveDateTime: '2026-11-01T09:30:00Z',
  valueQuantity: { value: 80, unit: '/min' },
};
const hba1c: Resource = {
  resourceType: 'Observation',
  id: 'o3',
  status: 'final',
  category: [{ coding: [{ code: 'laboratory' }] }],
  code: { text: 'HbA1c' },
  effectiveDateTime: '2026-09-01',
  meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] },
};
const hypertension: Resource = {
  resourceType: 'Condition',
  id: 'c1',
  subject: { reference: 'Patient/p' },
  code: { coding: [{ display: 'Hypertension' }] },
  clinicalStatus: { coding: [{ code: 'active' }] },
  onsetDateTime: '2024-05-20',
};

describe('the records timeline', () => {
  it('groups by category A–Z, newest first, leaving the Patient out', () => {
    const groups = groupTimeline([
      heartRate,
      { resourceType: 'Patient', id: 'p' },
      hypertension,
      laterHeartRate,
      hba1c,
    ]);
    expect(groups.map((g) => g.category)).toEqual(['Conditions', 'Lab results', 'Vital signs']);
    expect(groups[2]?.items.map((i) => i.id)).toEqual(['o2', 'o1']);
    expect(groups[2]?.items[0]?.detail).toBe('80 /min');
    expect(groups[0]?.items[0]).toMatchObject({ title: 'Hypertension', detail: 'active', date: '2024-05-20' });
  });

  it('flags records with a sensitivity label', () => {
    const [labs] = groupTimeline([hba1c]);
    expect(labs?.items[0]?.sensitive).toBe(true);
    expect(groupTimeline([heartRate])[0]?.items[0]?.sensitive).toBe(false);
  });

  it('is empty for no records', () => {
    expect(groupTimeline([])).toEqual([]);
  });
});

function event(kind: string, outcome: string, who: string, recorded: string, purpose = 'TREAT'): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id: `${kind}-${recorded}`,
    meta: { tag: [{ system: 'https://medledger.example.org/fhir/CodeSystem/audit-kind', code: kind }] },
    type: { code: 'rest' },
    recorded,
    outcome: outcome as AuditEvent['outcome'],
    purposeOfEvent: [{ coding: [{ code: purpose }] }],
    agent: [
      { who: { reference: who }, requestor: true, role: [{ coding: [{ code: 'clinician' }] }] },
      { who: { reference: 'Organization/HospitalBMSP' }, requestor: false },
    ],
    source: { observer: { reference: 'Device/x' } },
    entity: [
      { what: { reference: 'Patient/pt-1' }, type: { code: '1' } },
      { what: { reference: 'Observation/o1/_history/1' }, type: { code: '2' } },
    ],
  };
}

describe('the access log', () => {
  const names = new Map([['Practitioner/dr.house', 'Dr. Gregory House']]);
  const entries = [
    event('search', '0', 'Practitioner/dr.house', '2026-11-20T10:00:00Z'),
    event('access-denied', '8', 'Practitioner/dr.grey', '2026-11-21T10:00:00Z'),
    event('break-glass-start', '0', 'Practitioner/dr.house', '2026-11-22T10:00:00Z', 'ETREAT'),
  ].map((e) => toAccessLogEntry(e, names));

  it('turns AuditEvents into lines a patient can read', () => {
    expect(entries[0]).toMatchObject({
      whoName: 'Dr. Gregory House',
      organization: 'Hospital B',
      what: 'looked through records',
      purpose: 'treatment',
      outcome: 'permitted',
      emergency: false,
      records: 1,
      patient: 'Patient/pt-1',
    });
    expect(entries[1]).toMatchObject({ outcome: 'refused', whoName: 'dr.grey' });
    expect(entries[2]).toMatchObject({
      emergency: true,
      what: 'used emergency access (break-glass)',
      purpose: 'emergency treatment',
    });
  });

  it('filters by who (reference or name), by dates inclusive, and by emergency', () => {
    expect(filterAccessLog(entries, { who: 'house' }).map((e) => e.kind)).toEqual(['search', 'break-glass-start']);
    expect(filterAccessLog(entries, { who: 'dr.grey' }).map((e) => e.kind)).toEqual(['access-denied']);
    expect(filterAccessLog(entries, { from: '2026-11-21', to: '2026-11-21' }).map((e) => e.kind)).toEqual([
      'access-denied',
    ]);
    expect(filterAccessLog(entries, { emergencyOnly: true }).map((e) => e.kind)).toEqual(['break-glass-start']);
    expect(filterAccessLog(entries, {})).toHaveLength(3);
  });

  it('exports CSV with quoting and formula-injection guards', () => {
    const csv = accessLogCsv([{ ...entries[0]!, whoName: 'x', who: '=cmd()', purpose: 'a, "b"' }]);
    const [header, row] = csv.split('\r\n');
    expect(header).toBe('recorded,who,organisation,role,event,purpose,outcome,emergency,records,patient');
    expect(row).toBe(
      `2026-11-20T10:00:00Z,'=cmd(),Hospital B,clinician,search,"a, ""b""",permitted,false,1,Patient/pt-1`,
    );
  });
});
