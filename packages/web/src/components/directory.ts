import type { Organization, Practitioner, PractitionerRole } from '@medplum/fhirtypes';
import type { ApiClient } from '../api/client.js';
import { ROLE_NAMES, organizationName } from '../logic/codes.js';

export interface DirectoryEntry {
  /** The reference consents use: `Practitioner/{uid}`, `Organization/{MSP}` or `Group/{MSP}-{role}`. */
  readonly value: string;
  readonly label: string;
  /** The name alone, for sentences ("Dr. Gregory House", "Insurer", "all clinicians at Hospital B"). */
  readonly name: string;
  readonly group: 'People' | 'Organisations' | 'Everyone in a role';
}

export interface Directory {
  readonly entries: readonly DirectoryEntry[];
  /** Reference → the name to show. */
  readonly names: ReadonlyMap<string, string>;
}

const GROUP_ROLES = ['clinician', 'insurer', 'researcher'] as const;
const GROUP_HOME: Readonly<Record<(typeof GROUP_ROLES)[number], (mspId: string) => boolean>> = {
  clinician: (mspId) => mspId.startsWith('Hospital'),
  insurer: (mspId) => mspId === 'InsurerMSP',
  researcher: (mspId) => mspId === 'ResearchMSP',
};
const cache = new WeakMap<ApiClient, Promise<Directory>>();

function roleOf(reference: string, roles: readonly PractitionerRole[]): { org: string; roleCode: string } {
  const role = roles.find((r) => r.practitioner?.reference === reference);
  return {
    org: role?.organization?.reference?.replace('Organization/', '') ?? '',
    roleCode: role?.code?.[0]?.coding?.[0]?.code ?? '',
  };
}

function personEntry(person: Practitioner, roles: readonly PractitionerRole[]): DirectoryEntry & { active: boolean } {
  const reference = `Practitioner/${person.id ?? ''}`;
  const { org, roleCode } = roleOf(reference, roles);
  const name = person.name?.[0]?.text ?? reference;
  return {
    value: reference,
    label: `${name} — ${(ROLE_NAMES[roleCode] ?? roleCode).toLowerCase()}, ${organizationName(org)}`,
    name,
    group: 'People',
    active: person.active !== false && (GROUP_ROLES as readonly string[]).includes(roleCode),
  };
}

function organizationEntries(org: Organization): DirectoryEntry[] {
  const id = org.id ?? '';
  const orgName = org.name ?? organizationName(id);
  const entries: DirectoryEntry[] = [
    {
      value: `Organization/${id}`,
      label: `${orgName} (the whole organisation)`,
      name: orgName,
      group: 'Organisations',
    },
  ];
  for (const role of GROUP_ROLES) {
    const label = `All ${(ROLE_NAMES[role] ?? role).toLowerCase()}s at ${orgName}`;
    const name = label.charAt(0).toLowerCase() + label.slice(1);
    entries.push({ value: `Group/${id}-${role}`, label, name, group: 'Everyone in a role' });
  }
  return entries;
}

async function load(api: ApiClient): Promise<Directory> {
  const [practitioners, roles, organizations] = await Promise.all([
    api.search<Practitioner>('/fhir/Practitioner'),
    api.search<PractitionerRole>('/fhir/PractitionerRole'),
    api.search<Organization>('/fhir/Organization'),
  ]);
  const people = practitioners.map((person) => personEntry(person, roles));
  const groups = organizations.flatMap(organizationEntries);
  const names = new Map<string, string>([...people, ...groups].map((entry) => [entry.value, entry.name]));
  const offered = groups.filter(
    (entry) => entry.group !== 'Everyone in a role' || groupIsOffered(entry.value.replace('Group/', '')),
  );
  return {
    entries: [...people.filter((p) => p.active).map(({ active: _active, ...entry }) => entry), ...offered],
    names,
  };
}

function groupIsOffered(groupId: string): boolean {
  const [mspId = '', role = ''] = groupId.split(/-(.*)/s);
  const home = GROUP_HOME[role as (typeof GROUP_ROLES)[number]] as ((id: string) => boolean) | undefined;
  return home?.(mspId) ?? false;
}

/** The network's directory (staff and organisations), loaded once per session. */
export function loadDirectory(api: ApiClient): Promise<Directory> {
  let found = cache.get(api);
  if (found === undefined) {
    found = load(api);
    found.catch(() => cache.delete(api));
    cache.set(api, found);
  }
  return found;
}
