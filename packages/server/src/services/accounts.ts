import { createPublicKey } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { DomainError, ORGANIZATIONS, ROLES } from '@medledger/core';
import type { Role } from '@medledger/core';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { EmbeddedNetwork } from '../network/embedded-network.js';
import type { Account, ServerStore } from '../store/server-store.js';

export const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const MIN_PASSWORD = 12;

export interface NewAccount {
  readonly username: string;
  readonly displayName: string;
  readonly mspId: string;
  readonly role: Role;
  /** For people; omitted for system clients, which authenticate with private_key_jwt. */
  readonly password?: string;
  /** For a patient login: the registered patient it belongs to. */
  readonly patient?: { readonly patientId: string; readonly uid: string; readonly homeOrg: string };
  readonly demo?: boolean;
}

function checkNewAccount(input: NewAccount): void {
  const problem = [
    (!USERNAME.test(input.username) || input.username.startsWith('svc.')) &&
      'username must be 1–64 of a-z 0-9 . _ @ - and start with a letter or digit (svc. is reserved)',
    !(ORGANIZATIONS as readonly string[]).includes(input.mspId) &&
      `organisation must be one of ${ORGANIZATIONS.join(', ')}`,
    !(ROLES as readonly string[]).includes(input.role) && `role must be one of ${ROLES.join(', ')}`,
    input.password !== undefined &&
      input.password.length < MIN_PASSWORD &&
      input.demo !== true &&
      `password must have at least ${MIN_PASSWORD} characters`,
    (input.role === 'patient') !== (input.patient !== undefined) &&
      'a patient account needs a registered patient, and only a patient account',
    input.patient !== undefined &&
      input.patient.homeOrg !== input.mspId &&
      "a patient's account belongs to their home organisation",
  ].find((text): text is string => typeof text === 'string');
  if (problem !== undefined) throw new DomainError('INVALID_ARGUMENT', problem);
}

/** Accounts and their enrolled identities: create (register + enroll at the org's CA), authenticate, revoke. */
export class AccountService {
  constructor(
    private readonly store: ServerStore,
    private readonly network: EmbeddedNetwork,
    private readonly clock: () => Date,
    private readonly passwordLogN?: number,
  ) {}

  async create(input: NewAccount): Promise<Account> {
    checkNewAccount(input);
    if (this.store.account(input.username) !== undefined) {
      throw new DomainError('ALREADY_EXISTS', `account ${input.username} already exists`);
    }
    if (input.patient !== undefined && this.store.accountByUid(input.mspId, input.patient.uid) !== undefined) {
      throw new DomainError('ALREADY_EXISTS', 'this patient already has a login');
    }
    const uid = input.patient?.uid ?? input.username;
    const account: Account = {
      username: input.username,
      displayName: input.displayName,
      kind: input.password === undefined ? 'system' : 'person',
      mspId: input.mspId,
      role: input.role,
      uid,
      ...(input.patient === undefined ? {} : { patientId: input.patient.patientId }),
      ...(input.password === undefined
        ? {}
        : {
            passwordHash: await hashPassword(
              input.password,
              this.passwordLogN === undefined ? {} : { logN: this.passwordLogN },
            ),
          }),
      demo: input.demo === true,
      status: 'active',
      createdAt: this.clock().toISOString(),
    };
    await this.network.enroll(account.username, account.mspId, account.role, uid);
    this.store.insertAccount(account);
    return account;
  }

  get(username: string): Account | undefined {
    return this.store.account(username);
  }

  list(mspId?: string): Account[] {
    return this.store.accounts().filter((a) => mspId === undefined || a.mspId === mspId);
  }

  /** Password grant. Unknown user, wrong password and revoked account give the same answer in the same time. */
  async authenticate(username: string, password: string): Promise<Account> {
    const account = this.store.account(username);
    const ok = await verifyPassword(password, account?.kind === 'person' ? account.passwordHash : undefined);
    if (!ok || account === undefined || account.status !== 'active') {
      throw new DomainError('UNAUTHENTICATED', 'invalid username or password');
    }
    return account;
  }

  /**
   * SMART Backend Services: a client assertion (JWT, ES256) signed by the client's enrolled key, issued and subject
   * = the client id, audience = the token endpoint, short-lived, used once.
   */
  async authenticateClient(assertion: string, tokenEndpoint: string): Promise<Account> {
    const refuse = (): never => {
      throw new DomainError('UNAUTHENTICATED', 'invalid client assertion');
    };
    let clientId: unknown;
    try {
      clientId = decodeJwt(assertion).iss;
    } catch {
      refuse();
    }
    if (typeof clientId !== 'string' || !USERNAME.test(clientId)) return refuse();
    const account = this.store.account(clientId);
    if (account === undefined || account.status !== 'active' || account.kind !== 'system') return refuse();
    await this.checkAssertion(assertion, account, tokenEndpoint).catch(refuse);
    return account;
  }

  /** @throws when the assertion is not a fresh, unused ES256 JWT by the account's enrolled key for this endpoint */
  private async checkAssertion(assertion: string, account: Account, tokenEndpoint: string): Promise<void> {
    const identity = await this.network.identity(account.username);
    const now = this.clock();
    const { payload } = await jwtVerify(assertion, createPublicKey(identity.certPem), {
      algorithms: ['ES256'],
      issuer: account.username,
      subject: account.username,
      audience: tokenEndpoint,
      currentDate: now,
      maxTokenAge: '5m',
      requiredClaims: ['exp', 'jti', 'iat'],
    });
    const exp = (payload.exp ?? 0) * 1000;
    const jti = payload.jti ?? '';
    if (exp - now.getTime() > 5 * 60 * 1000 || jti.length > 256) throw new Error('assertion lives too long');
    if (!this.store.useAssertion(`${account.username}:${jti}`, exp, now.getTime())) throw new Error('replayed');
  }

  /** Revokes the account's certificate at its CA (the ledger refuses it from then on) and disables the login. */
  async revoke(username: string): Promise<void> {
    const account = this.store.account(username);
    if (account === undefined) throw new DomainError('NOT_FOUND', `account ${username} is not known`);
    await this.network.revoke(username);
    this.store.setAccountStatus(username, 'revoked');
  }

  async resetPassword(username: string, password: string): Promise<void> {
    const account = this.store.account(username);
    if (account?.kind !== 'person') throw new DomainError('NOT_FOUND', `account ${username} is not known`);
    if (password.length < MIN_PASSWORD) {
      throw new DomainError('INVALID_ARGUMENT', `password must have at least ${MIN_PASSWORD} characters`);
    }
    this.store.setPasswordHash(username, await hashPassword(password));
  }
}
