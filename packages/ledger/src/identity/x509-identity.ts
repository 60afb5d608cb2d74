import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { inspect } from 'node:util';

import { DomainError } from '@medledger/core';

import type { SigningIdentity } from '../ledger-client.js';
import { nodeCertificate } from './certificates.js';

const REDACTED = '[REDACTED]';

/** What an identity shows of itself in JSON and logs: never the private key. */
export interface RedactedIdentity {
  readonly mspId: string;
  readonly certPem: string;
  readonly privateKey: typeof REDACTED;
}

/**
 * An enrolled X.509 identity (MSP id, certificate, private key) that is safe to log: `JSON.stringify`, `util.inspect`
 * and `console.log` show `[REDACTED]` for the key, and the key is not an own enumerable property (spreads and
 * `Object.entries` do not see it). The key is checked to belong to the certificate.
 */
export class X509Identity implements SigningIdentity {
  readonly mspId: string;
  readonly certPem: string;
  readonly #privateKey: KeyObject;

  /**
   * @throws DomainError INVALID_ARGUMENT when the key is not a private key or does not match the certificate
   */
  constructor(mspId: string, certPem: string, privateKey: KeyObject) {
    if (typeof mspId !== 'string' || mspId.length === 0) {
      throw new DomainError('INVALID_ARGUMENT', 'MSP id must be a non-empty string');
    }
    if (privateKey.type !== 'private') throw new DomainError('INVALID_ARGUMENT', 'identity needs a private key');
    if (!createPublicKey(privateKey).equals(nodeCertificate(certPem).publicKey)) {
      throw new DomainError('INVALID_ARGUMENT', 'private key does not match the certificate');
    }
    this.mspId = mspId;
    this.certPem = certPem;
    this.#privateKey = privateKey;
    Object.freeze(this);
  }

  /** The signing key. Keep it in this process: never serialise it except through an encrypted wallet. */
  get privateKey(): KeyObject {
    return this.#privateKey;
  }

  toJSON(): RedactedIdentity {
    return { mspId: this.mspId, certPem: this.certPem, privateKey: REDACTED };
  }

  [inspect.custom](): string {
    return `X509Identity { mspId: ${JSON.stringify(this.mspId)}, certPem: <${this.certPem.length} chars>, privateKey: ${REDACTED} }`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}
