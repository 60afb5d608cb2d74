import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client.js';
import type { EmergencyGrant } from '../../api/types.js';
import { emergencyGrantsToShow, endEmergencyGrant, isGrantInForce } from './data.js';

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

// A stand-in for the HTTP client (unit test): the revoke request fails as given (or succeeds), and the grant list
// holds the given grants.
function answering(
  failure?: Error,
  grants: EmergencyGrant[] = [],
): { post: (path: string) => Promise<never>; get: () => Promise<never>; paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    post: (path: string) => {
      paths.push(path);
      return failure === undefined ? Promise.resolve(undefined as never) : Promise.reject(failure);
    },
    get: () => Promise.resolve(grants as never),
  };
}

describe('ending an emergency grant', () => {
  const now = Date.now();
  const live = grant('eg-1', 0, {
    startedAt: new Date(now - HOUR).toISOString(),
    expiresAt: new Date(now + HOUR).toISOString(),
  });
  const expired = { ...live, expiresAt: new Date(now - 1000).toISOString() };

  it('asks the server to revoke that grant', async () => {
    const api = answering();
    await endEmergencyGrant(api, 'eg-1');
    expect(api.paths).toEqual(['/api/emergency-grants/eg-1/revoke']);
  });

  it('takes a 409 as done only when the grant has indeed ended, and reports anything else', async () => {
    const conflict = new ApiError(409, 'conflict');
    await expect(endEmergencyGrant(answering(conflict, [expired]), 'eg-1')).resolves.toBeUndefined();
    await expect(endEmergencyGrant(answering(conflict, [live]), 'eg-1')).rejects.toThrow('conflict');
    await expect(endEmergencyGrant(answering(new ApiError(403, 'not yours'), [expired]), 'eg-1')).rejects.toThrow(
      'not yours',
    );
    await expect(endEmergencyGrant(answering(new Error('offline')), 'eg-1')).rejects.toThrow('offline');
  });
});
