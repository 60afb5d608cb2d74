import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { JWK, JWTPayload, KeyLike } from 'jose';
import { DomainError } from '@medledger/core';
import type { Role } from '@medledger/core';
import { readPrivateFile, writePrivateFile } from '../secrets.js';
import type { Account } from '../store/server-store.js';

export interface AccessTokenClaims {
  readonly username: string;
  readonly role: Role;
  readonly mspId: string;
  readonly scope: string;
  readonly patientId?: string;
  readonly expiresAt: number;
}

const ALG = 'ES256';

/**
 * Issues and checks the server's access tokens: ES256 JWTs (key in `<dataDir>/secrets/token-signing.jwk`, 0600),
 * issuer = the public URL, audience = its `/fhir` base, SMART v2 scopes, a short lifetime.
 */
export class TokenService {
  private constructor(
    private readonly privateKey: KeyLike,
    private readonly publicKey: KeyLike,
    private readonly publicJwk: JWK,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
    private readonly clock: () => Date,
  ) {}

  static async open(options: {
    readonly dataDir: string;
    readonly issuer: string;
    readonly ttlSeconds: number;
    readonly clock?: () => Date;
  }): Promise<TokenService> {
    const path = join(options.dataDir, 'secrets', 'token-signing.jwk');
    if (!existsSync(path)) {
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      const jwk = await exportJWK(privateKey);
      writePrivateFile(path, JSON.stringify({ ...jwk, kid: randomBytes(8).toString('hex'), alg: ALG }));
    }
    const jwk = JSON.parse(readPrivateFile(path).toString('utf8')) as JWK;
    const privateKey = (await importJWK(jwk, ALG)) as KeyLike;
    const { d: _d, ...publicJwk } = jwk;
    const publicKey = (await importJWK(publicJwk, ALG)) as KeyLike;
    return new TokenService(
      privateKey,
      publicKey,
      { ...publicJwk, use: 'sig' },
      options.issuer,
      options.ttlSeconds,
      options.clock ?? (() => new Date()),
    );
  }

  get audience(): string {
    return `${this.issuer}/fhir`;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async issue(account: Account, scope: string): Promise<{ token: string; expiresIn: number }> {
    const now = Math.floor(this.clock().getTime() / 1000);
    const token = await new SignJWT({
      scope,
      role: account.role,
      msp: account.mspId,
      ...(account.patientId === undefined ? {} : { patient: account.patientId }),
      fhirUser: fhirUserOf(account),
    })
      .setProtectedHeader({ alg: ALG, typ: 'at+jwt', ...(this.publicJwk.kid ? { kid: this.publicJwk.kid } : {}) })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(account.username)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .setJti(randomBytes(16).toString('hex'))
      .sign(this.privateKey);
    return { token, expiresIn: this.ttlSeconds };
  }

  /** @throws DomainError UNAUTHENTICATED for a missing, malformed, expired or foreign token */
  async verify(token: string): Promise<AccessTokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.audience,
        currentDate: this.clock(),
      }));
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired ? 'the access token has expired' : 'the access token is not valid';
      throw new DomainError('UNAUTHENTICATED', reason);
    }
    const { sub, scope, role, msp, patient, exp } = payload as JWTPayload & Record<string, unknown>;
    if (typeof sub !== 'string' || typeof scope !== 'string' || typeof role !== 'string' || typeof msp !== 'string') {
      throw new DomainError('UNAUTHENTICATED', 'the access token is not valid');
    }
    return {
      username: sub,
      role: role as Role,
      mspId: msp,
      scope,
      ...(typeof patient === 'string' ? { patientId: patient } : {}),
      expiresAt: typeof exp === 'number' ? exp : 0,
    };
  }
}

/** The SMART `fhirUser` of an account: its Patient or Practitioner resource. */
export function fhirUserOf(account: Account): string {
  return account.patientId !== undefined ? `Patient/${account.patientId}` : `Practitioner/${account.uid}`;
}
