import type { FastifyRequest } from 'fastify';
import { DomainError, PURPOSES, ROLE_PURPOSES } from '@medledger/core';
import type { Purpose } from '@medledger/core';
import { scopeAllows } from '../auth/scopes.js';
import type { Interaction } from '../auth/scopes.js';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';

/** The documented header that overrides the role's default purpose of use (an HL7 v3 ActReason code). */
export const PURPOSE_HEADER = 'x-purpose-of-use';

const DEFAULT_PURPOSE: Readonly<Record<string, Purpose>> = { ethics: 'HRESCH' };

function purposeOf(request: FastifyRequest, role: string): Purpose {
  const header = request.headers[PURPOSE_HEADER];
  if (header === undefined) {
    return ROLE_PURPOSES[role as keyof typeof ROLE_PURPOSES][0] ?? DEFAULT_PURPOSE[role] ?? 'HOPERAT';
  }
  if (typeof header !== 'string' || !(PURPOSES as readonly string[]).includes(header)) {
    throw new DomainError('INVALID_ARGUMENT', `${PURPOSE_HEADER} must be one of ${PURPOSES.join(', ')}`);
  }
  return header as Purpose;
}

/**
 * Authenticates the request's bearer token and builds its Caller; a revoked or unknown account is refused even with an
 * unexpired token.
 */
export async function authenticate(medledger: Medledger, request: FastifyRequest): Promise<Caller> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
  if (match?.[1] === undefined) throw new DomainError('UNAUTHENTICATED', 'a bearer access token is required');
  const claims = await medledger.tokens.verify(match[1]);
  const account = medledger.accounts.get(claims.username);
  if (account?.status !== 'active') throw new DomainError('UNAUTHENTICATED', 'the account is not active');
  return { account, purpose: purposeOf(request, account.role), requestId: request.id, scope: claims.scope };
}

/**
 * Refuses, before anything is looked up, a purpose the caller's role may not assert: otherwise an existing record
 * (refused for the purpose) and a missing one (404) would answer differently.
 */
export function requirePurpose(caller: Caller): void {
  const allowed: readonly string[] = ROLE_PURPOSES[caller.account.role];
  if (!allowed.includes(caller.purpose)) {
    throw new DomainError(
      'ACCESS_DENIED',
      `purpose of use ${caller.purpose} is not permitted for role ${caller.account.role}`,
    );
  }
}

/** Refuses an interaction the token's SMART scopes do not grant. */
export function requireScope(caller: Caller, resourceType: string, interaction: Interaction): void {
  if (!scopeAllows(caller.scope, resourceType, interaction)) {
    throw new DomainError('ACCESS_DENIED', `the access token's scopes do not allow ${interaction} on ${resourceType}`);
  }
}
