import type { AuditEvent, Bundle, Consent, Resource } from '@medplum/fhirtypes';
import { ApiError, resourcesOf } from '../../api/client.js';
import type { ApiClient } from '../../api/client.js';
import type { AccessRequest, EmergencyGrant, Whoami } from '../../api/types.js';
import { toAccessLogEntry } from '../../logic/timeline.js';
import type { AccessLogEntry } from '../../logic/timeline.js';

export function patientId(me: Whoami): string {
  return (me.patient ?? '').replace('Patient/', '');
}

/** Everything the patient may see of their own record (PATRQT is never consent-gated). */
export async function loadMyRecord(api: ApiClient, me: Whoami): Promise<Resource[]> {
  const bundle = await api.get<Bundle>(`/fhir/Patient/${patientId(me)}/$everything?_count=200`);
  return resourcesOf(bundle);
}

export async function loadConsents(api: ApiClient): Promise<Consent[]> {
  return api.search<Consent>('/fhir/Consent');
}

export async function loadAccessLog(api: ApiClient, names: ReadonlyMap<string, string>): Promise<AccessLogEntry[]> {
  const events = await api.search<AuditEvent>('/fhir/AuditEvent?_count=200');
  return events.map((event) => toAccessLogEntry(event, names));
}

export async function loadRequests(api: ApiClient): Promise<AccessRequest[]> {
  return api.get<AccessRequest[]>('/api/access-requests');
}

/** Emergency accesses of the last seven days: shown as an alert and counted on the badge. */
export function recentEmergencies(entries: readonly AccessLogEntry[], now: number): AccessLogEntry[] {
  const week = 7 * 24 * 3600 * 1000;
  return entries.filter((entry) => entry.kind === 'break-glass-start' && now - Date.parse(entry.when) < week);
}

export async function loadEmergencyGrants(api: Pick<ApiClient, 'get'>): Promise<EmergencyGrant[]> {
  return api.get<EmergencyGrant[]>('/api/emergency-grants');
}

/**
 * Ends a break-glass grant early. A grant that ended meanwhile (it expired while the page was open) answers 409: what
 * the patient asked for is already so. A 409 for anything else (a conflict with a concurrent change) is reported: the
 * grant list, read again, says which.
 */
export async function endEmergencyGrant(api: Pick<ApiClient, 'post' | 'get'>, grantId: string): Promise<void> {
  try {
    await api.post(`/api/emergency-grants/${encodeURIComponent(grantId)}/revoke`, {});
  } catch (error: unknown) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    const grant = (await loadEmergencyGrants(api)).find((candidate) => candidate.id === grantId);
    if (grant === undefined || isGrantInForce(grant, Date.now())) throw error;
  }
}

/** Whether a break-glass grant is still in force at `now`: not expired and not ended by the patient. */
export function isGrantInForce(grant: EmergencyGrant, now: number): boolean {
  return grant.endedAt === undefined && Date.parse(grant.startedAt) <= now && now < Date.parse(grant.expiresAt);
}

/** Grants in force, then those that ended (expired or ended early) in the last seven days; newest first in each. */
export function emergencyGrantsToShow(
  grants: readonly EmergencyGrant[],
  now: number,
): { inForce: EmergencyGrant[]; ended: EmergencyGrant[] } {
  const week = 7 * 24 * 3600 * 1000;
  const newestFirst = [...grants].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const ended = (grant: EmergencyGrant): number => Date.parse(grant.endedAt ?? grant.expiresAt);
  return {
    inForce: newestFirst.filter((grant) => isGrantInForce(grant, now)),
    ended: newestFirst.filter((grant) => !isGrantInForce(grant, now) && now - ended(grant) < week),
  };
}
