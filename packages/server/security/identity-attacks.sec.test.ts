/**
 * Identity attacks (issue 9): expired, tampered, wrong-key, algorithm-confused and revoked-identity tokens; scopes too
 * broad for the role; replayed and forged client assertions; certificates from an unknown CA; arguments naming another
 * patient or organisation than the caller's certificate. All refused; audited where they reach the contract.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EmbeddedCa } from '@medledger/ledger';
import { generateKeyPair, importJWK, importPKCS8, SignJWT } from 'jose';
import type { JWK, KeyLike } from 'jose';
import { ids, observation, storeCounts, TestServer } from './testing/fixtures.js';
import type { Json, Response } from './testing/fixtures.js';
import { PUBLIC_URL } from '../src/testing/test-server.js';
import { ROLE_SCOPES } from '../src/auth/scopes.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function assert401(response: Response, what: string): void {
  assert.equal(response.status, 401, `${what}: ${response.text}`);
  assert.equal(response.body.resourceType, 'OperationOutcome', what);
}

describe('identity attacks', () => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  let serverKey: KeyLike;
  let attacks = 0;

  const bearer = (token: string, url = `/fhir/Observation?patient=${alice}`, method: 'GET' | 'POST' = 'GET') =>
    server.as(undefined, method, url, undefined, { authorization: `Bearer ${token}` });

  /** A token with the server's real signing key (what an attacker who stole it could mint) — claims set freely. */
  const mint = async (claims: Json, options: { exp?: number; iss?: string; aud?: string; key?: KeyLike } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'user/*.cruds', role: 'clinician', msp: 'HospitalAMSP', ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer(options.iss ?? PUBLIC_URL)
      .setAudience(options.aud ?? `${PUBLIC_URL}/fhir`)
      .setSubject(typeof claims.sub === 'string' ? claims.sub : 'dr.grey')
      .setIssuedAt(now - 60)
      .setExpirationTime(options.exp ?? now + 600)
      .setJti(randomBytes(8).toString('hex'))
      .sign(options.key ?? serverKey);
  };

  const tokenRequest = (fields: Record<string, string>) =>
    server.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: FORM,
      payload: new URLSearchParams(fields).toString(),
    });

  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
    bob = server.patientId('bob');
    const jwk = JSON.parse(readFileSync(join(server.dataDir, 'secrets', 'token-signing.jwk'), 'utf8')) as JWK;
    serverKey = (await importJWK(jwk, 'ES256')) as KeyLike;
  });
  after(async () => {
    process.stdout.write(`# identity attacks tried: ${attacks}\n`);
    await server.stop();
  });

  it('a correctly minted token is accepted (control)', async () => {
    const response = await bearer(await mint({ sub: 'dr.grey' }));
    assert.equal(response.status, 200, response.text);
    assert.ok(ids(response).length > 0);
  });

  it('refuses expired, wrong-issuer, wrong-audience, not-yet-valid and claim-less tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, string]> = [
      ['expired', await mint({ sub: 'dr.grey' }, { exp: now - 1 })],
      ['expired long ago', await mint({ sub: 'dr.grey' }, { exp: now - 86_400 })],
      ['foreign issuer', await mint({ sub: 'dr.grey' }, { iss: 'http://evil.test' })],
      ['foreign audience', await mint({ sub: 'dr.grey' }, { aud: `${PUBLIC_URL}/auth/token` })],
      ['unknown user', await mint({ sub: 'mallory' })],
      [
        'no scope claim',
        await new SignJWT({ role: 'clinician', msp: 'HospitalAMSP' })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(PUBLIC_URL)
          .setAudience(`${PUBLIC_URL}/fhir`)
          .setSubject('dr.grey')
          .setExpirationTime('5m')
          .sign(serverKey),
      ],
      [
        'not yet valid',
        await new SignJWT({ scope: 'user/*.cruds', role: 'clinician', msp: 'HospitalAMSP' })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(PUBLIC_URL)
          .setAudience(`${PUBLIC_URL}/fhir`)
          .setSubject('dr.grey')
          .setNotBefore(now + 3600)
          .setExpirationTime(now + 7200)
          .sign(serverKey),
      ],
    ];
    for (const [what, token] of cases) {
      attacks += 1;
      assert401(await bearer(token), what);
    }
  });

  it('refuses tampered tokens: changed subject, changed scope, flipped signature bytes, truncated', async () => {
    const real = await server.token('claims.ivy');
    const [header = '', payload = '', signature = ''] = real.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Json;
    const variants: Array<[string, string]> = [
      ['subject → dr.grey', `${header}.${b64url({ ...claims, sub: 'dr.grey' })}.${signature}`],
      ['scope widened', `${header}.${b64url({ ...claims, scope: 'user/*.cruds' })}.${signature}`],
      ['exp extended', `${header}.${b64url({ ...claims, exp: Number(claims.exp) + 86_400 })}.${signature}`],
      ['signature truncated', `${header}.${payload}.${signature.slice(0, -6)}`],
      ['no signature', `${header}.${payload}.`],
    ];
    for (let i = 0; i < 20; i += 1) {
      const bytes = Buffer.from(signature, 'base64url');
      bytes[i % bytes.length] = (bytes[i % bytes.length] ?? 0) ^ (1 << (i % 8));
      variants.push([`signature byte ${i} flipped`, `${header}.${payload}.${bytes.toString('base64url')}`]);
    }
    for (const [what, token] of variants) {
      attacks += 1;
      assert401(await bearer(token), what);
    }
  });

  it('refuses wrong-key and algorithm-confusion tokens (other ES256 key, alg none, HS256 keyed with the public JWK)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwks = JSON.parse((await server.as(undefined, 'GET', '/.well-known/jwks.json')).text) as { keys: JWK[] };
    const claims = {
      sub: 'dr.grey',
      scope: 'user/*.cruds',
      role: 'clinician',
      msp: 'HospitalAMSP',
      iss: PUBLIC_URL,
      aud: `${PUBLIC_URL}/fhir`,
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    const hsHeader = b64url({ alg: 'HS256', typ: 'JWT' });
    const hsSecret = JSON.stringify(jwks.keys[0]);
    const hsBody = `${hsHeader}.${b64url(claims)}`;
    const hs = `${hsBody}.${createHmac('sha256', hsSecret).update(hsBody).digest('base64url')}`;
    const cases: Array<[string, string]> = [
      ['another ES256 key', await mint({ sub: 'dr.grey' }, { key: privateKey })],
      ['alg none', unsigned],
      ['HS256 with the public key', hs],
      ['garbage', 'a.b.c'],
      ['empty segments', '..'],
    ];
    for (const [what, token] of cases) {
      attacks += 1;
      assert401(await bearer(token), what);
    }
    for (const header of [
      'Basic ZHIuZ3JleTptZWRsZWRnZXItZGVtbw==',
      'Bearer',
      'bearer  x',
      `Bearer ${'A'.repeat(20_000)}`,
    ]) {
      attacks += 1;
      const response = await server.as(undefined, 'GET', `/fhir/Observation?patient=${alice}`, undefined, {
        authorization: header,
      });
      assert.ok([400, 401, 431].includes(response.status), `${header.slice(0, 20)}: ${response.status}`);
    }
  });

  it('a revoked identity: its live token, a new login and a ledger transaction with its certificate are refused', async () => {
    const created = await server.as('admin.hospa', 'POST', '/api/admin/users', {
      username: 'dr.revoked',
      displayName: 'Dr. Revoked',
      role: 'clinician',
      password: 'a-long-enough-password-123',
    });
    assert.equal(created.status, 201, created.text);
    const first = await tokenRequest({
      grant_type: 'password',
      username: 'dr.revoked',
      password: 'a-long-enough-password-123',
    });
    const token = (JSON.parse(first.body) as { access_token: string }).access_token;
    assert.equal((await bearer(token)).status, 200, 'works before the revocation');
    const identity = await server.medledger.network.identity('dr.revoked');
    assert.equal((await server.as('admin.hospa', 'POST', '/api/admin/users/dr.revoked/revoke')).status, 200);
    attacks += 3;
    assert401(await bearer(token), 'token of a revoked account');
    const login = await tokenRequest({
      grant_type: 'password',
      username: 'dr.revoked',
      password: 'a-long-enough-password-123',
    });
    assert.equal(login.statusCode, 400, login.body);
    const before = await server.medledger.network.ledger.height();
    const client = server.medledger.network.ledger.connect(identity);
    await assert.rejects(
      client.submit(
        'AuthorizeAccess',
        JSON.stringify({ patientId: alice, resourceTypes: ['Observation'], purpose: 'TREAT' }),
      ),
      'the ledger refuses the revoked certificate',
    );
    client.close();
    // A refused endorsement writes nothing (it never reached the contract, so there is nothing to audit).
    const height = await server.medledger.network.ledger.height();
    assert.ok(height - before <= 1, 'at most an invalidated block, never a valid transaction');
  });

  it('refuses scopes too broad for the role at the token endpoint, for every role', async () => {
    const tooBroad: Record<string, string> = {
      alice: 'user/*.cruds',
      'claims.ivy': 'user/*.cruds',
      'res.rosa': 'user/Observation.c',
      'ph.olive': 'user/*.d',
      'po.hospa': 'user/Observation.c',
      'admin.hospa': 'user/Patient.c',
      'irb.ines': 'user/*.u',
      'dr.grey': 'system/*.rs',
    };
    for (const [username, scope] of Object.entries(tooBroad)) {
      attacks += 1;
      const response = await tokenRequest({ grant_type: 'password', username, password: 'medledger-demo', scope });
      assert.equal(response.statusCode, 400, `${username} ${scope}: ${response.body}`);
      assert.equal((JSON.parse(response.body) as { error: string }).error, 'invalid_scope');
    }
  });

  it('a validly signed token with scopes beyond its role (a stolen signing key) still gets nothing the contract refuses', async () => {
    for (const [sub, scope] of [
      ['claims.ivy', 'user/*.cruds'],
      ['alice', 'user/*.cruds'],
      ['res.rosa', 'user/Observation.c'],
    ] as const) {
      attacks += 1;
      const before = storeCounts(server.dataDir);
      const response = await server.as(undefined, 'POST', '/fhir/Observation', observation(alice), {
        authorization: `Bearer ${await mint({ sub, scope })}`,
      });
      assert.ok([401, 403].includes(response.status), `${sub}: ${response.status} ${response.text}`);
      assert.deepEqual(storeCounts(server.dataDir), before);
    }
  });

  describe('client assertions (SMART Backend Services)', () => {
    let clientKey: KeyLike;
    before(async () => {
      await server.medledger.accounts.create({
        username: 'hospa.ehr',
        displayName: 'HospitalA EHR',
        mspId: 'HospitalAMSP',
        role: 'clinician',
      });
      const identity = await server.medledger.network.identity('hospa.ehr');
      clientKey = await importPKCS8(identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'ES256');
    });

    const assertion = async (
      edit: {
        iss?: string;
        sub?: string;
        aud?: string;
        exp?: string | number;
        jti?: string | null;
        key?: KeyLike;
      } = {},
    ) => {
      let jwt = new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(edit.iss ?? 'hospa.ehr')
        .setSubject(edit.sub ?? 'hospa.ehr')
        .setAudience(edit.aud ?? `${PUBLIC_URL}/auth/token`)
        .setIssuedAt()
        .setExpirationTime(edit.exp ?? '2m');
      if (edit.jti !== null) jwt = jwt.setJti(edit.jti ?? randomBytes(8).toString('hex'));
      return jwt.sign(edit.key ?? clientKey);
    };
    const exchange = (clientAssertion: string) =>
      tokenRequest({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
        scope: 'system/Observation.rs',
      });

    it('accepts a fresh assertion once and refuses its replay, even after other requests', async () => {
      const once = await assertion();
      assert.equal((await exchange(once)).statusCode, 200);
      assert.equal((await exchange(await assertion())).statusCode, 200);
      for (let i = 0; i < 3; i += 1) {
        attacks += 1;
        assert.equal((await exchange(once)).statusCode, 401, 'replay');
      }
    });

    it('refuses forged assertions: wrong key, other client named, wrong audience, too long-lived, no jti, expired', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const drGrey = await server.medledger.network.identity('dr.grey');
      const greyKey = await importPKCS8(drGrey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'ES256');
      const cases: Array<[string, string]> = [
        ['signed by an unknown key', await assertion({ key: privateKey })],
        ['signed by another enrolled identity', await assertion({ key: greyKey })],
        ['iss ≠ sub', await assertion({ sub: 'dr.grey' })],
        ['a person account as client', await assertion({ iss: 'dr.grey', sub: 'dr.grey', key: greyKey })],
        ['wrong audience', await assertion({ aud: `${PUBLIC_URL}/fhir` })],
        ['lives an hour', await assertion({ exp: '1h' })],
        ['no jti', await assertion({ jti: null })],
        ['expired', await assertion({ exp: Math.floor(Date.now() / 1000) - 10 })],
        ['unknown client', await assertion({ iss: 'nobody.ehr', sub: 'nobody.ehr' })],
      ];
      for (const [what, forged] of cases) {
        attacks += 1;
        const response = await exchange(forged);
        assert.equal(response.statusCode, 401, `${what}: ${response.body}`);
      }
    });
  });

  it('refuses a certificate from an unknown CA at the ledger (same MSP name, another root)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medledger-rogue-ca-'));
    try {
      const rogue = await EmbeddedCa.open({
        directory: dir,
        mspId: 'HospitalAMSP',
        key: { rawKey: randomBytes(32) },
        unsafeScryptLogN: 4,
      });
      await rogue.register({ uid: 'mallory', role: 'admin' });
      const identity = await rogue.enroll('mallory');
      const before = await server.medledger.network.ledger.height();
      const client = server.medledger.network.ledger.connect(identity);
      for (const [fn, args] of [
        [
          'RegisterPatient',
          { patientId: 'pt-' + randomBytes(16).toString('hex'), uid: 'pu-' + randomBytes(16).toString('hex') },
        ],
        ['AuthorizeAccess', { patientId: alice, resourceTypes: ['Observation'], purpose: 'TREAT' }],
        ['GetRecordMetadata', { recordId: 'r-' + randomBytes(12).toString('hex') }],
      ] as const) {
        attacks += 1;
        await assert.rejects(client.submit(fn, JSON.stringify(args)), `${fn} with a rogue certificate`);
      }
      attacks += 1;
      await assert.rejects(client.evaluate('ListConsents', JSON.stringify({ patientId: alice })));
      client.close();
      assert.ok((await server.medledger.network.ledger.height()) - before <= 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('arguments naming another patient or organisation than the caller are refused and audited', async () => {
    const before = storeCounts(server.dataDir);
    attacks += 1;
    // alice writes a consent for bob's data.
    const consent = await server.as('alice', 'POST', '/fhir/Consent', {
      ...observation(bob),
      resourceType: 'Consent',
    });
    assert.ok(consent.status >= 400 && consent.status < 500, consent.text);
    const realConsent = (await import('./testing/fixtures.js')).grant(bob);
    attacks += 1;
    const forBob = await server.as('alice', 'POST', '/fhir/Consent', realConsent);
    assert.ok([403, 404].includes(forBob.status), `alice grants on bob's behalf: ${forBob.status} ${forBob.text}`);
    // A clinician names another organisation or requester in the body: ignored or refused, never honoured.
    attacks += 1;
    const request = await server.as('dr.house', 'POST', '/api/access-requests', {
      patient: `Patient/${alice}`,
      resourceTypes: ['Observation'],
      reasonCode: 'referral',
      requester: { mspId: 'HospitalAMSP', uid: 'dr.grey', role: 'clinician' },
      mspId: 'HospitalAMSP',
    });
    if (request.status === 201) assert.doesNotMatch(request.text, /dr\.grey/);
    else assert.equal(request.status, 400, request.text);
    assert.deepEqual(
      Object.fromEntries(Object.entries(storeCounts(server.dataDir)).filter(([k]) => !k.startsWith('ledger.'))),
      Object.fromEntries(Object.entries(before).filter(([k]) => !k.startsWith('ledger.'))),
      'no record, vault or account change',
    );
    // alice reads bob's data: denied (empty), and the attempt is in bob's audit trail as a denial by alice.
    attacks += 2;
    assert.deepEqual(ids(await server.as('alice', 'GET', `/fhir/Observation?patient=${bob}`)), []);
    const bobObs = ids(await server.as('bob', 'GET', '/fhir/Observation'))[0] ?? '';
    assert.equal((await server.as('alice', 'GET', `/fhir/Observation/${bobObs}`)).status, 404);
    const trail = await server.as('bob', 'GET', '/fhir/AuditEvent');
    const denials = (trail.body.entry ?? []).filter(
      (e) => JSON.stringify(e.resource.agent).includes(alice) && e.resource.outcome !== '0',
    );
    assert.ok(denials.length >= 2, `bob sees alice's refused attempts: ${trail.text.slice(0, 400)}`);
    // The purpose header may not claim another role's purpose.
    for (const purpose of ['ETREAT', 'HPAYMT', 'PUBHLTH', 'HRESCH', 'TREAT']) {
      attacks += 1;
      const response = await server.as('alice', 'GET', `/fhir/Observation?patient=${bob}`, undefined, {
        'x-purpose-of-use': purpose,
      });
      assert.ok([403, 200].includes(response.status));
      assert.deepEqual(ids(response), []);
    }
  });

  it('role ceilings are exactly the documented ones (a change here is a security review)', () => {
    assert.deepEqual(ROLE_SCOPES, {
      patient: 'openid fhirUser patient/*.rds patient/Consent.cruds',
      clinician: 'openid fhirUser user/*.cruds',
      insurer: 'openid fhirUser user/*.rs',
      researcher: 'openid fhirUser user/*.rs',
      ethics: 'openid fhirUser user/*.rs',
      'public-health': 'openid fhirUser user/*.rs',
      'privacy-officer': 'openid fhirUser user/*.rds',
      admin: 'openid fhirUser user/*.rds',
    });
  });
});
