import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { DomainError, PATTERNS } from '@medledger/core';
import { processBatch, processTransaction } from '../fhir/bundle.js';
import type { Medledger } from '../medledger.js';
import { newRequestId } from '../services/caller.js';
import type { Caller } from '../services/caller.js';
import { authenticate, PURPOSE_HEADER, requireScope } from './caller.js';
import { capabilityStatement } from './capability.js';
import { FhirHandlers } from './fhir-handlers.js';
import { outcomeFor } from './operation-outcome.js';
import { registerApiRoutes } from './api-routes.js';
import { registerPortalRoutes } from './portal-routes.js';
import { registerStudyRoutes } from './study-routes.js';
import { registerTokenRoute } from './token-route.js';
import { registerWebUi } from './web-ui.js';

const FHIR_JSON = 'application/fhir+json';
type Json = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;

export interface AppOptions {
  /** Pino options or false (tests). */
  readonly logger?: boolean | Record<string, unknown>;
}

/** A query string as Fastify parses it: repeated parameters become arrays (none is silently dropped). */
function queryOf(text: string): Query {
  const query: Query = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// Such members would slip past validation (JSON.parse keeps them; spreads and validators treat them specially).
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SyntaxError(`member name ${JSON.stringify(key)} is not allowed`);
  return value;
}

function sendFhir(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(`${FHIR_JSON}; charset=utf-8`).send(body);
}

/** Builds the HTTP application around an open Medledger. */
export async function createApp(medledger: Medledger, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: medledger.config.bodyLimitBytes,
    // Request ids are ours (32 hex) and go into the ledger audit; a client's X-Request-Id is never trusted.
    genReqId: () => newRequestId(),
    trustProxy: false,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL, …) get the same OperationOutcome as everything else.
    frameworkErrors: (error, _request, reply) => {
      const outcome = outcomeFor(error);
      void sendFhir(reply, outcome.status, outcome.body);
    },
  });
  const handlers = new FhirHandlers(medledger);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser([FHIR_JSON, 'application/json'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string, refuseProtoKeys));
    } catch (error) {
      done(new DomainError('INVALID_ARGUMENT', `the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  app.setErrorHandler((error, request, reply) => {
    const outcome = outcomeFor(error);
    if (outcome.status >= 500) request.log.error({ err: error }, 'request failed');
    for (const [name, value] of Object.entries(outcome.headers ?? {})) reply.header(name, value);
    return sendFhir(reply, outcome.status, outcome.body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendFhir(
      reply,
      404,
      outcomeFor(new DomainError('NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`)).body,
    ),
  );

  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Medledger API',
        version: '0.1.0',
        description: 'FHIR R4 API, OAuth2 token endpoint and Medledger operations. See docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get(
    '/health',
    { schema: { tags: ['system'], summary: 'Readiness: 200 once the ledger and vaults are open' } },
    async () => ({
      status: 'ok',
      blockHeight: await medledger.network.ledger.height(),
    }),
  );

  app.get('/.well-known/smart-configuration', { schema: { tags: ['auth'] } }, (_request, reply) =>
    reply.send({
      issuer: medledger.config.publicUrl,
      jwks_uri: `${medledger.config.publicUrl}/.well-known/jwks.json`,
      token_endpoint: `${medledger.config.publicUrl}/auth/token`,
      grant_types_supported: ['password', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['openid', 'fhirUser', 'patient/*.rs', 'user/*.cruds', 'system/*.rs'],
      capabilities: ['client-confidential-asymmetric', 'permission-v2'],
    }),
  );
  app.get('/.well-known/jwks.json', { schema: { tags: ['auth'] } }, (_request, reply) =>
    reply.send(medledger.tokens.jwks()),
  );

  registerTokenRoute(app, medledger);

  const withCaller = async (request: FastifyRequest): Promise<Caller> => await authenticate(medledger, request);
  const params = (request: FastifyRequest): Record<string, string> => request.params as Record<string, string>;
  const fhirTags = { tags: ['fhir'] };

  app.get('/fhir/metadata', { schema: fhirTags }, async (_request, reply) =>
    sendFhir(reply, 200, capabilityStatement(medledger.config.publicUrl, { name: 'Medledger', version: '0.1.0' })),
  );

  app.get('/fhir/:type', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    return sendFhir(reply, 200, await handlers.search(caller, params(request).type ?? '', request.query as Query));
  });
  app.get('/fhir/Patient/:id/$everything', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    return sendFhir(reply, 200, await handlers.everything(caller, params(request).id ?? '', request.query as Query));
  });
  app.get('/fhir/Consent/:id/_history', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    requireScope(caller, 'Consent', 'r');
    const versions = await medledger.consents.history(caller, params(request).id ?? '');
    return sendFhir(reply, 200, {
      resourceType: 'Bundle',
      type: 'history',
      entry: versions.map((resource) => ({ resource })),
    });
  });
  app.get('/fhir/:type/:id', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    const { type = '', id = '' } = params(request);
    return sendFhir(reply, 200, await handlers.read(caller, type, id));
  });
  app.post('/fhir/:type', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    const type = params(request).type ?? '';
    const created = await handlers.create(caller, type, request.body);
    reply.header('location', `${medledger.config.publicUrl}/fhir/${type}/${String(created.id)}`);
    return sendFhir(reply, 201, created);
  });
  app.put('/fhir/:type/:id', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    const { type = '', id = '' } = params(request);
    return sendFhir(reply, 200, await handlers.update(caller, type, id, request.body));
  });
  app.delete('/fhir/:type/:id', { schema: fhirTags }, async (request, reply) => {
    const caller = await withCaller(request);
    const { type = '', id = '' } = params(request);
    const header = request.headers['x-patient-request'];
    return sendFhir(
      reply,
      200,
      await handlers.remove(caller, type, id, typeof header === 'string' ? header : undefined),
    );
  });

  const batchEntry = async (
    caller: Caller,
    method: string,
    url: string,
    resource: Json | undefined,
  ): Promise<{ status: number; body: Json }> => {
    const [path = '', queryText = ''] = url.replace(/^\/?(fhir\/)?/, '').split('?');
    const [type = '', id] = path.split('/');
    const query = queryOf(queryText);
    if (method === 'GET')
      return {
        status: 200,
        body: id === undefined ? await handlers.search(caller, type, query) : await handlers.read(caller, type, id),
      };
    if (method === 'POST') return { status: 201, body: await handlers.create(caller, type, resource) };
    if (method === 'PUT' && id !== undefined)
      return { status: 200, body: await handlers.update(caller, type, id, resource) };
    if (method === 'DELETE' && id !== undefined)
      return { status: 200, body: await handlers.remove(caller, type, id, undefined) };
    throw new DomainError('INVALID_ARGUMENT', `unsupported batch request ${method} ${url}`);
  };
  app.post('/fhir', { schema: { ...fhirTags, summary: 'Bundle transaction or batch' } }, async (request, reply) => {
    const caller = await withCaller(request);
    const body = request.body as Json | undefined;
    if (body?.resourceType !== 'Bundle')
      throw new DomainError('INVALID_ARGUMENT', 'POST /fhir takes a Bundle of type transaction or batch');
    if (body.type === 'transaction') return sendFhir(reply, 200, await processTransaction(medledger, caller, body));
    if (body.type === 'batch') return sendFhir(reply, 200, await processBatch(caller, body, batchEntry));
    throw new DomainError('INVALID_ARGUMENT', 'Bundle.type must be transaction or batch');
  });

  registerApiRoutes(app, medledger, withCaller);
  registerPortalRoutes(app, medledger, withCaller);
  await registerWebUi(app);
  registerStudyRoutes(app, medledger, withCaller);
  app.log.info({ purposeHeader: PURPOSE_HEADER, requestIdPattern: PATTERNS.requestId.source }, 'routes ready');
  return app;
}
