import { DomainError } from '@medledger/core';
import type { Role } from '@medledger/core';

/** SMART v2 interactions: create, read, update, delete, search. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

interface Scope {
  readonly context: 'patient' | 'user' | 'system';
  readonly type: string;
  readonly interactions: ReadonlySet<Interaction>;
}

const SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(c?r?u?d?s?|read|write|\*)$/;

function parseScope(text: string): Scope {
  const match = SCOPE.exec(text);
  if (!match?.[1] || !match[2] || match[3] === undefined || match[3] === '') {
    throw new DomainError('INVALID_ARGUMENT', `unsupported scope ${JSON.stringify(text)} (SMART v2, e.g. user/*.rs)`);
  }
  const letters = { read: 'rs', write: 'cud', '*': 'cruds' }[match[3]] ?? match[3];
  return {
    context: match[1] as Scope['context'],
    type: match[2],
    interactions: new Set(letters.split('') as Interaction[]),
  };
}

/** What each role may be granted at most (a token asks for these or fewer). */
export const ROLE_SCOPES: Readonly<Record<Role, string>> = {
  patient: 'openid fhirUser patient/*.rds patient/Consent.cruds',
  clinician: 'openid fhirUser user/*.cruds',
  insurer: 'openid fhirUser user/*.rs',
  researcher: 'openid fhirUser user/*.rs',
  ethics: 'openid fhirUser user/*.rs',
  'public-health': 'openid fhirUser user/*.rs',
  'privacy-officer': 'openid fhirUser user/*.rds',
  admin: 'openid fhirUser user/*.rds',
};

const NON_RESOURCE = new Set(['openid', 'fhirUser', 'offline_access', 'launch/patient']);

function resourceScopes(text: string): Scope[] {
  return text
    .split(/\s+/)
    .filter((item) => item !== '' && !NON_RESOURCE.has(item))
    .map(parseScope);
}

function covers(granted: Scope, wanted: Scope): boolean {
  return (
    (granted.type === '*' || granted.type === wanted.type) &&
    [...wanted.interactions].every((i) => granted.interactions.has(i))
  );
}

/**
 * The scopes a token gets: the requested ones if the role allows all of them (system clients may use `system/`
 * for what their role has under `user/`), else an error; the role's full set when nothing is requested.
 * @throws DomainError INVALID_ARGUMENT (OAuth invalid_scope) for a malformed or too broad request
 */
export function grantScopes(role: Role, requested: string | undefined, system: boolean): string {
  const allowed = resourceScopes(ROLE_SCOPES[role]);
  if (requested === undefined || requested.trim() === '') {
    return system ? ROLE_SCOPES[role].replace(/\buser\//g, 'system/') : ROLE_SCOPES[role];
  }
  for (const scope of resourceScopes(requested)) {
    const permitted = allowed.some(
      (granted) =>
        (scope.context === granted.context || (system && scope.context === 'system' && granted.context === 'user')) &&
        covers(granted, scope),
    );
    if (!permitted)
      throw new DomainError('INVALID_ARGUMENT', `scope ${scopeText(scope)} is not allowed for role ${role}`);
  }
  return requested.trim().split(/\s+/).join(' ');
}

function scopeText(scope: Scope): string {
  return `${scope.context}/${scope.type}.${[...scope.interactions].join('')}`;
}

/** Whether a token's scopes allow an interaction on a resource type. */
export function scopeAllows(scopes: string, resourceType: string, interaction: Interaction): boolean {
  return resourceScopes(scopes).some(
    (scope) => (scope.type === '*' || scope.type === resourceType) && scope.interactions.has(interaction),
  );
}
