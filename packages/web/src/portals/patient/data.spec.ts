import { describe, expect, it } from 'vitest';
import type { EmergencyGrant } from '../../api/types.js';
import { emergencyGrantsToShow, isGrantInForce } from './data.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const HOUR = 3600 * 1000;

function grant(id: string, startedHoursAgo: number, parts: Partial<EmergencyGrant> = {}): EmergencyGrant {
  const started = NOW - startedHoursAgo * HOUR;
  return {
    id,
    patientId: 'pt-1',
    clinician: { mspId: 'HospitalBMSP', uid: 'dr.house', role: 'clinician' },
    reasonCode: 'unconscious-patient',
    startedAt: new Date(started).toISOString(),
    expiresAt: new Date(started + 4 * HOUR).toISOString(),
    review: 'pending',
    ...parts,
  };
}

describe('emergency grants on the patient\'s "Who can see my data" page', () => {
  it('is in force until it expires or the patient ends it', () => {
    expect(isGrantInForce(grant('a', 1), NOW)).toBe(true);
    expect(isGrantInForce(grant('b', 5), NOW)).toBe(false);
    expect(isGrantInForce(grant('c', 1, { endedAt: new Date(NOW - HOUR / 2).toISOString() }), NOW)).toBe(false);
  });

  it('shows grants in force, then those that ended in the last seven days, newest first', () => {
    const shown = emergencyGrantsToShow(
      [
        grant('expired', 5),
        grant('old', 8 * 24),
        grant('active-older', 2),
        grant('ended', 1, { endedAt: new Date(NOW - HOUR / 2).toISOString(), endReason: 'revoked-by-patient' }),
        grant('active-newer', 0.5),
      ],
      NOW,
    );
    expect(shown.inForce.map((g) => g.id)).toEqual(['active-newer', 'active-older']);
    expect(shown.ended.map((g) => g.id)).toEqual(['ended', 'expired']);
  });
});
