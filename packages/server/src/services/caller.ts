import { randomBytes } from 'node:crypto';
import type { Purpose } from '@medledger/core';
import type { Account } from '../store/server-store.js';

/** Who is asking, for which purpose, in which API call: everything a service needs to act as the user. */
export interface Caller {
  readonly account: Account;
  readonly purpose: Purpose;
  /** The X-Request-Id (32 hex) that ties the API call to its ledger audit events. */
  readonly requestId: string;
  readonly scope: string;
}

/** A fresh pseudonymous id: a type prefix and 24 random hex digits (96 bits, not guessable). */
export function newId(prefix: 'r' | 'b'): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}

export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}
