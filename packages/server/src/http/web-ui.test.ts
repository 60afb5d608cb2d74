import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { TestServer } from '../testing/test-server.js';
import { registerWebUi, WEB_SECURITY_HEADERS } from './web-ui.js';

const INDEX =
  '<!doctype html><title>Medledger</title><div id="root"></div><script type="module" src="/assets/app.js"></script>';

async function appWith(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ resourceType: 'OperationOutcome' }));
  app.get('/api/whoami', () => ({ ok: true }));
  await registerWebUi(app, root);
  return app;
}

describe('the web UI at /', () => {
  let root: string;
  let app: FastifyInstance;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'medledger-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    app = await appWith(root);
  });
  after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / with a strict CSP and no referrer', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.equal(response.body, INDEX);
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'DENY');
  });

  it('serves the built files with the same headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/assets/app.js' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, 'console.log(1)');
    assert.equal(response.headers['content-security-policy'], WEB_SECURITY_HEADERS['content-security-policy']);
  });

  it('answers client-side routes with index.html (SPA fallback)', async () => {
    for (const url of ['/login', '/patient', '/patient/sharing', '/clinician/requests?x=1', '/admin/users']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, INDEX, url);
    }
  });

  it('leaves API paths, unknown paths and missing files to the 404 handler', async () => {
    for (const url of [
      '/nowhere',
      '/patientx',
      '/api/nothing',
      '/fhir',
      '/fhir/Patient/x/y/z',
      '/auth',
      '/.well-known/x',
      '/assets/missing.js',
      '/favicon.ico',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404, url);
      assert.deepEqual(JSON.parse(response.body), { resourceType: 'OperationOutcome' }, url);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/api/whoami' })).statusCode, 200);
  });

  it('explains how to build the UI when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'medledger-web-empty-'));
    const bare = await appWith(empty);
    const response = await bare.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 503);
    assert.match(response.body, /npm run build -w @medledger\/web/);
    await bare.close();
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('the Medledger app with the web UI registered', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => server.stop());

  it('keeps /fhir, /api, /auth and /.well-known answering as before', async () => {
    assert.equal((await server.as(undefined, 'GET', '/fhir/metadata')).body.resourceType, 'CapabilityStatement');
    assert.equal((await server.as('alice', 'GET', '/api/whoami')).body.username, 'alice');
    assert.ok(Array.isArray((await server.as(undefined, 'GET', '/.well-known/jwks.json')).body.keys));
    const unknown = await server.as('alice', 'GET', '/api/no-such-thing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.resourceType, 'OperationOutcome');
    assert.equal((await server.as(undefined, 'GET', '/fhir/Observation')).status, 401);
    const page = await server.as(undefined, 'GET', '/patient');
    assert.ok([200, 503].includes(page.status));
    assert.match(String(page.headers['content-type']), /^text\/html/);
  });
});
