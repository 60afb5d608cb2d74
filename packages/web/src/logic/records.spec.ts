import { describe, expect, it } from 'vitest';
import { buildRecord, recordProblems } from './records.js';

describe('records a clinician adds', () => {
  it('builds a vital-sign Observation with its LOINC code, value and unit', () => {
    expect(
      buildRecord(
        { kind: 'vital', text: ' Heart rate ', code: '8867-4', value: 88, unit: '/min', date: '2026-11-26' },
        'Patient/pt-1',
      ),
    ).toEqual({
      resourceType: 'Observation',
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
      ],
      code: { text: 'Heart rate', coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: 'Patient/pt-1' },
      effectiveDateTime: '2026-11-26',
      valueQuantity: { value: 88, unit: '/min' },
    });
  });

  it('keeps a code-less entry as text only', () => {
    const condition = buildRecord({ kind: 'condition', text: 'Asthma', code: '', date: '2020-01-01' }, 'Patient/pt-1');
    expect(condition).toMatchObject({
      resourceType: 'Condition',
      code: { text: 'Asthma' },
      onsetDateTime: '2020-01-01',
    });
    expect((condition as { code: { coding?: unknown } }).code.coding).toBeUndefined();
  });

  it('puts a typed note into a DocumentReference as UTF-8 base64, or the uploaded file as given', () => {
    const note = buildRecord(
      { kind: 'document', text: 'Discharge note', note: 'Zoë is well', date: '2026-11-26' },
      'Patient/pt-1',
    );
    expect(note).toMatchObject({
      resourceType: 'DocumentReference',
      status: 'current',
      date: '2026-11-26T00:00:00Z',
      content: [{ attachment: { contentType: 'text/plain', title: 'Discharge note', data: 'Wm/DqyBpcyB3ZWxs' } }],
    });
    const file = buildRecord(
      {
        kind: 'document',
        text: 'Scan',
        date: '2026-11-26',
        attachment: { contentType: 'application/pdf', data: 'JVBERi0=', title: 'scan.pdf' },
      },
      'Patient/pt-1',
    );
    expect(file).toMatchObject({
      content: [{ attachment: { contentType: 'application/pdf', data: 'JVBERi0=', title: 'scan.pdf' } }],
    });
  });

  it('names what is missing before sending', () => {
    expect(recordProblems({ kind: 'document', text: ' ', date: '' })).toEqual([
      'Say what it is.',
      'Give the date.',
      'Write the note or attach a file.',
    ]);
    expect(recordProblems({ kind: 'allergy', text: 'Penicillin', date: '2026-01-01' })).toEqual([]);
  });
});
