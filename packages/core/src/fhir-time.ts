import { invalid, PATTERNS } from './validate.js';

/** An instant range in epoch milliseconds; a missing bound is open. */
export interface InstantRange {
  readonly start?: number;
  readonly end?: number;
}

/**
 * The instants a FHIR date or dateTime covers, from the start of its precision to the end of it: "2025-12-31" covers
 * the whole day (UTC), "2025" the whole year. Times without a zone are not valid FHIR and are rejected by the pattern.
 * @throws DomainError INVALID_ARGUMENT when `value` is not a FHIR date or dateTime
 */
export function fhirInstantRange(value: string, what: string): { start: number; end: number } {
  if (!PATTERNS.fhirDateTime.test(value)) throw invalid(`${what} is not a FHIR date or dateTime`);
  const [year = 0, month, day] = value.slice(0, 10).split('-').map(Number);
  // Date.UTC maps years 0–99 to 1900–1999 and rolls impossible days over, so build and check explicitly.
  const startOfDate = new Date(Date.UTC(2000, (month ?? 1) - 1, day ?? 1));
  startOfDate.setUTCFullYear(year);
  if (day !== undefined && startOfDate.getUTCDate() !== day) throw invalid(`${what} is not a calendar date`);
  if (value.length > 10) {
    const instant = Date.parse(value);
    if (Number.isNaN(instant)) throw invalid(`${what} is not a valid instant`);
    return { start: instant, end: instant };
  }
  const endExclusive = new Date(startOfDate.getTime());
  if (day !== undefined) endExclusive.setUTCDate(day + 1);
  else if (month !== undefined) endExclusive.setUTCMonth(month);
  else endExclusive.setUTCFullYear(year + 1);
  return { start: startOfDate.getTime(), end: endExclusive.getTime() - 1 };
}

/** Whether `instant` lies in [start, end] of a FHIR Period whose bounds are FHIR dates or dateTimes. */
export function periodContains(period: { start?: string; end?: string } | undefined, instant: number): boolean {
  if (!period) return true;
  if (period.start !== undefined && instant < fhirInstantRange(period.start, 'period.start').start) return false;
  if (period.end !== undefined && instant > fhirInstantRange(period.end, 'period.end').end) return false;
  return true;
}
