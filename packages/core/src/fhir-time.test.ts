import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DomainError } from './errors.js';
import { fhirInstantRange, periodContains } from './fhir-time.js';

const utc = (iso: string): number => Date.parse(iso);

function assertInvalid(fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => error instanceof DomainError && error.code === 'INVALID_ARGUMENT');
}

void describe('fhirInstantRange', () => {
  const cases: [string, string, string][] = [
    ['2025', '2025-01-01T00:00:00.000Z', '2025-12-31T23:59:59.999Z'],
    ['2025-02', '2025-02-01T00:00:00.000Z', '2025-02-28T23:59:59.999Z'],
    ['2024-02', '2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
    ['2025-12', '2025-12-01T00:00:00.000Z', '2025-12-31T23:59:59.999Z'],
    ['2025-12-31', '2025-12-31T00:00:00.000Z', '2025-12-31T23:59:59.999Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
    ['2025-06-01T10:15:00Z', '2025-06-01T10:15:00.000Z', '2025-06-01T10:15:00.000Z'],
    ['2025-06-01T12:15:00+02:00', '2025-06-01T10:15:00.000Z', '2025-06-01T10:15:00.000Z'],
    ['2025-06-01T10:15:00.123Z', '2025-06-01T10:15:00.123Z', '2025-06-01T10:15:00.123Z'],
  ];
  for (const [value, start, end] of cases) {
    void it(`covers ${value} from ${start} to ${end}`, () => {
      assert.deepEqual(fhirInstantRange(value, 'x'), { start: utc(start), end: utc(end) });
    });
  }

  void it('rejects values that are not FHIR dates or dateTimes', () => {
    for (const value of [
      '',
      '25',
      '2025-1',
      '2025-13',
      '2025-00-10',
      '2025-01-32',
      '2025-06-01T10:15Z',
      '2025-06-01T10:15:00',
      '01/06/2025',
      'June 2025',
      '2025-06-01 10:15:00Z',
    ]) {
      assertInvalid(() => fhirInstantRange(value, 'x'));
    }
  });

  void it('rejects dates that do not exist in the calendar', () => {
    for (const value of ['2025-02-29', '2025-04-31', '2023-02-30']) assertInvalid(() => fhirInstantRange(value, 'x'));
  });
});

void describe('periodContains', () => {
  void it('contains everything when there is no period or no bound', () => {
    assert.equal(periodContains(undefined, 0), true);
    assert.equal(periodContains({}, utc('1970-01-01T00:00:00Z')), true);
  });

  void it('includes the whole precision of each bound', () => {
    const period = { start: '2025-03', end: '2025-03-31' };
    assert.equal(periodContains(period, utc('2025-02-28T23:59:59.999Z')), false);
    assert.equal(periodContains(period, utc('2025-03-01T00:00:00Z')), true);
    assert.equal(periodContains(period, utc('2025-03-31T23:59:59.999Z')), true);
    assert.equal(periodContains(period, utc('2025-04-01T00:00:00Z')), false);
  });

  void it('leaves a missing bound open', () => {
    assert.equal(periodContains({ start: '2025' }, utc('2999-01-01T00:00:00Z')), true);
    assert.equal(periodContains({ start: '2025' }, utc('2024-12-31T23:59:59.999Z')), false);
    assert.equal(periodContains({ end: '2025' }, utc('1900-01-01T00:00:00Z')), true);
    assert.equal(periodContains({ end: '2025' }, utc('2026-01-01T00:00:00Z')), false);
  });
});
