import type { FastifyInstance } from 'fastify';
import { DomainError } from '@medledger/core';
import { grantScopes } from '../auth/scopes.js';
import type { Medledger } from '../medledger.js';
import type { Account } from '../store/server-store.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An RFC 6749 §5.2 error answer. */
class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

type Form = Readonly<Record<string, unknown>>;

function field(form: Form, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' ? value : undefined;
}

async function passwordGrant(medledger: Medledger, form: Form): Promise<Account> {
  const username = field(form, 'username');
  const password = field(form, 'password');
  if (username === undefined || password === undefined) {
    throw new OAuthError(400, 'invalid_request', 'username and password are required');
  }
  try {
    return await medledger.accounts.authenticate(username, password);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') {
      throw new OAuthError(400, 'invalid_grant', error.message);
    }
    throw error;
  }
}

async function clientCredentialsGrant(medledger: Medledger, form: Form): Promise<Account> {
  const assertion = field(form, 'client_assertion');
  if (field(form, 'client_assertion_type') !== JWT_BEARER || assertion === undefined) {
    throw new OAuthError(400, 'invalid_request', 'client_credentials needs a private_key_jwt client_assertion');
  }
  try {
    return await medledger.accounts.authenticateClient(assertion, `${medledger.config.publicUrl}/auth/token`);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') {
      throw new OAuthError(401, 'invalid_client', error.message);
    }
    throw error;
  }
}

function scopesFor(account: Account, form: Form): string {
  try {
    return grantScopes(account.role, field(form, 'scope'), account.kind === 'system');
  } catch (error) {
    throw new OAuthError(400, 'invalid_scope', (error as Error).message);
  }
}

/** `POST /auth/token`: the OAuth2 token endpoint (password for people, SMART Backend Services for systems). */
export function registerTokenRoute(app: FastifyInstance, medledger: Medledger): void {
  app.post(
    '/auth/token',
    {
      config: { rateLimit: { max: medledger.config.tokenRateLimitPerMinute, timeWindow: 60_000 } },
      schema: { tags: ['auth'], summary: 'OAuth2 token endpoint (password, client_credentials + private_key_jwt)' },
    },
    async (request, reply) => {
      const form = (request.body ?? {}) as Form;
      try {
        const grant = field(form, 'grant_type');
        let account: Account;
        if (grant === 'password') account = await passwordGrant(medledger, form);
        else if (grant === 'client_credentials') account = await clientCredentialsGrant(medledger, form);
        else throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be password or client_credentials');
        const scope = scopesFor(account, form);
        const { token, expiresIn } = await medledger.tokens.issue(account, scope);
        return await reply.header('pragma', 'no-cache').send({
          access_token: token,
          token_type: 'Bearer',
          expires_in: expiresIn,
          scope,
          ...(account.patientId === undefined ? {} : { patient: account.patientId }),
        });
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return await reply.code(error.status).send({ error: error.error, error_description: error.message });
      }
    },
  );
}
