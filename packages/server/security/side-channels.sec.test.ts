/**
 * Side channels (issue 9, principle 7): a record you may not see and one that does not exist answer alike — status,
 * body, and time (1,000 interleaved reads, and 1,000 searches of a hidden patient without records of the type against
 * an unknown patient, compared as distributions: a permutation test on the medians and a practical-size bound, not an
 * absolute speed); search totals and paging never count hidden resources; ids are not guessable. Requests: MEDLEDGER_TIMING_REQUESTS (default 1000).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ids, observation, seededRandom, TestServer } from './testing/fixtures.js';

const REQUESTS = Number(process.env.MEDLEDGER_TIMING_REQUESTS ?? '1000');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** p-value of |median(a) − median(b)| under random relabelling (seeded), and the observed gap. */
function permutationTest(a: readonly number[], b: readonly number[], rounds: number, random: () => number) {
  const observed = Math.abs(median(a) - median(b));
  const pooled = [...a, ...b];
  let extreme = 0;
  for (let r = 0; r < rounds; r += 1) {
    for (let i = pooled.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [pooled[i], pooled[j]] = [pooled[j] ?? 0, pooled[i] ?? 0];
    }
    if (Math.abs(median(pooled.slice(0, a.length)) - median(pooled.slice(a.length))) >= observed) extreme += 1;
  }
  return { observed, p: (extreme + 1) / (rounds + 1) };
}

describe('side channels: forbidden and nonexistent look alike; totals and ids leak nothing', () => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  let bobObs: string;
  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
    bob = server.patientId('bob');
    bobObs = ids(await server.as('bob', 'GET', '/fhir/Observation'))[0] ?? '';
  });
  after(async () => server.stop());

  it('forbidden and nonexistent: same status and body for every record type, Patient and Consent', async () => {
    const bobCondition = ids(await server.as('bob', 'GET', '/fhir/Condition'))[0] ?? '';
    const bobConsent = String(
      (
        await server.as('bob', 'POST', '/fhir/Consent', {
          ...(await import('./testing/fixtures.js')).grant(bob),
        })
      ).body.id,
    );
    const cases: Array<[string, string, string, string]> = [
      ['dr.grey', 'Observation', bobObs, `r-${randomBytes(12).toString('hex')}`],
      ['dr.grey', 'Condition', bobCondition, `r-${randomBytes(12).toString('hex')}`],
      ['claims.ivy', 'Observation', bobObs, `r-${randomBytes(12).toString('hex')}`],
      ['alice', 'Observation', bobObs, `r-${randomBytes(12).toString('hex')}`],
      ['dr.grey', 'Patient', bob, `pt-${randomBytes(12).toString('hex')}`],
      ['alice', 'Patient', bob, `pt-${randomBytes(12).toString('hex')}`],
      ['alice', 'Consent', bobConsent, `c-${randomBytes(16).toString('hex')}`],
    ];
    for (const [who, type, hidden, pattern] of cases) {
      // The missing id has the hidden one's exact form: same prefix and length, other random digits.
      const prefix = hidden.slice(0, hidden.indexOf('-') + 1);
      const missing =
        prefix +
        randomBytes(hidden.length)
          .toString('hex')
          .slice(0, hidden.length - prefix.length);
      assert.ok(pattern.startsWith(prefix));
      for (const method of ['GET', 'DELETE'] as const) {
        const forbidden = await server.as(who, method, `/fhir/${type}/${hidden}`);
        const absent = await server.as(who, method, `/fhir/${type}/${missing}`);
        assert.equal(forbidden.status, absent.status, `${who} ${method} ${type}`);
        assert.ok([403, 404].includes(forbidden.status), `${who} ${method} ${type}: ${forbidden.status}`);
        assert.equal(
          forbidden.text.replaceAll(hidden, 'ID'),
          absent.text.replaceAll(missing, 'ID'),
          `${who} ${method} ${type}`,
        );
      }
      const put = async (id: string) =>
        server.as(who, 'PUT', `/fhir/${type}/${id}`, { ...observation(bob), resourceType: type, id });
      const [a, b] = [await put(hidden), await put(missing)];
      assert.equal(a.status, b.status, `${who} PUT ${type}`);
    }
  });

  /**
   * Times `REQUESTS` requests by dr.grey, each at random (seeded) for the hidden resource or for a fresh missing id of
   * the same form, and compares the two as distributions.
   */
  async function measureTiming(label: string, hiddenUrl: string, missingUrl: () => string, status: number) {
    const random = seededRandom(7);
    const forbidden: number[] = [];
    const absent: number[] = [];
    await server.token('dr.grey');
    // Warm-up (JIT, caches) is not measured.
    for (let i = 0; i < 20; i += 1) {
      await server.as('dr.grey', 'GET', hiddenUrl);
      await server.as('dr.grey', 'GET', missingUrl());
    }
    for (let i = 0; i < REQUESTS; i += 1) {
      const hidden = random() < 0.5;
      const url = hidden ? hiddenUrl : missingUrl();
      const start = performance.now();
      const response = await server.as('dr.grey', 'GET', url);
      const elapsed = performance.now() - start;
      assert.equal(response.status, status);
      (hidden ? forbidden : absent).push(elapsed);
    }
    const { observed, p } = permutationTest(forbidden, absent, 2000, seededRandom(11));
    const spread = quantile([...forbidden, ...absent], 0.75) - quantile([...forbidden, ...absent], 0.25);
    const summary = {
      forbidden: { n: forbidden.length, median: median(forbidden), p90: quantile(forbidden, 0.9) },
      absent: { n: absent.length, median: median(absent), p90: quantile(absent, 0.9) },
      gapMs: observed,
      interquartileMs: spread,
      p,
    };
    process.stdout.write(`# timing (${label}): ${JSON.stringify(summary)}\n`);
    return { label, observed, p, spread };
  }

  /** Fails on a gap that is both real (permutation p < 0.001) and not small against the noise: half the IQR. */
  function assertAlike({ label, observed, p, spread }: Awaited<ReturnType<typeof measureTiming>>): void {
    assert.ok(
      !(p < 0.001 && observed > spread / 2),
      `${label}: timing gap ${observed.toFixed(3)} ms (p=${p}) against noise ${spread.toFixed(3)} ms`,
    );
  }

  // The contract decides an unknown patient id over a stand-in with the same reads, range queries, decisions and audit
  // writes as a hidden patient (docs/security.md, side channels); what still differs grows with the hidden patient's
  // own data (consents, records), here one consent and one Observation.
  it(`forbidden and nonexistent take the same time: ${REQUESTS} interleaved reads compared as distributions`, async () => {
    assertAlike(
      await measureTiming(
        'read',
        `/fhir/Observation/${bobObs}`,
        () => `/fhir/Observation/r-${randomBytes(12).toString('hex')}`,
        404,
      ),
    );
  });

  // A search decides each of the hidden patient's records of the searched type, which an unknown id does not have: a
  // hidden patient with none of them costs what an unknown one costs (enforced), and each record adds its decision
  // (measured and printed, a residual finding in docs/security.md: the time of a search says whether the patient has
  // records of that type, not what they hold or whether the caller may see them).
  it(`a hidden patient with no records of the type and an unknown patient take the same time to search: ${REQUESTS} interleaved searches`, async () => {
    const none = await server.as('bob', 'GET', '/fhir/AllergyIntolerance');
    assert.equal(none.body.total, 0, 'bob has no AllergyIntolerance');
    assertAlike(
      await measureTiming(
        'search, no records of the type',
        `/fhir/AllergyIntolerance?patient=${bob}`,
        () => `/fhir/AllergyIntolerance?patient=pt-${randomBytes(12).toString('hex')}`,
        200,
      ),
    );
    const observations = Number((await server.as('bob', 'GET', '/fhir/Observation?_count=0')).body.total);
    const perRecord = await measureTiming(
      `search, ${observations} hidden Observations (reported)`,
      `/fhir/Observation?patient=${bob}`,
      () => `/fhir/Observation?patient=pt-${randomBytes(12).toString('hex')}`,
      200,
    );
    const perRecordMs = perRecord.observed / Math.max(1, observations);
    process.stdout.write(`# timing (search): ${perRecordMs.toFixed(3)} ms per hidden record\n`);
    // Not a bound on the leak (it is documented), a guard on its size: ten times what was measured (0.2 ms).
    assert.ok(perRecordMs < 2, `a hidden record costs ${perRecordMs.toFixed(3)} ms of search time`);
  });

  it('search totals and paging count only what the caller may see', async () => {
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await server.as('dr.house', 'POST', '/fhir/Observation', observation(bob, 80 + i))).status, 201);
    }
    const visible = await server.as('dr.house', 'GET', `/fhir/Observation?patient=${bob}&_count=1`);
    assert.ok((visible.body.total as number) >= 4, visible.text.slice(0, 600));
    for (const query of [
      '',
      '&_count=1',
      '&_count=1&_offset=1',
      '&_count=0',
      '&_offset=3',
      '&code=8867-4',
      '&_id=' + bobObs,
    ]) {
      for (const who of ['dr.grey', 'claims.ivy', 'res.rosa', 'alice']) {
        const hidden = await server.as(who, 'GET', `/fhir/Observation?patient=${bob}${query}`);
        assert.equal(hidden.status, 200, `${who} ${query}: ${hidden.text}`);
        assert.equal(hidden.body.total, 0, `${who} ${query}`);
        assert.equal(hidden.body.entry?.length ?? 0, 0);
        const links = (hidden.body.link ?? []) as Array<{ relation: string }>;
        assert.ok(!links.some((l) => l.relation === 'next'), `${who} ${query}: no next page of hidden results`);
      }
    }
    // A patient search by a hidden patient's name, birth date or identifier finds nothing outside the caller's org.
    for (const query of [
      'name=Baker',
      'family=Baker',
      'birthdate=1979-11-03',
      'identifier=999-98-7654',
      `_id=${bob}`,
    ]) {
      const response = await server.as('dr.grey', 'GET', `/fhir/Patient?${query}`);
      assert.equal(response.body.total, 0, query);
      assert.ok(
        !JSON.stringify(response.body.entry ?? []).includes('Baker'),
        'no entry (the self link echoes the query)',
      );
    }
    // The same search over an unknown patient id answers the same as over a hidden one.
    const unknown = await server.as(
      'dr.grey',
      'GET',
      `/fhir/Observation?patient=pt-${randomBytes(12).toString('hex')}`,
    );
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.total, 0);
    const audit = await server.as('alice', 'GET', `/fhir/AuditEvent?patient=${bob}`);
    assert.ok(!audit.text.includes(bobObs), "alice sees nothing of bob's audit trail");
    assert.ok(ids(await server.as('alice', 'GET', `/fhir/Observation?patient=${alice}`)).length >= 1);
  });

  it('ids are not guessable: random 96-bit record ids, unique, evenly spread, not sequential', async () => {
    const created: string[] = [];
    for (let i = 0; i < 120; i += 1) {
      const response = await server.as('dr.grey', 'POST', '/fhir/Observation', observation(alice, 50 + (i % 40)));
      created.push(String(response.body.id));
    }
    const patients: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const response = await server.as('dr.grey', 'POST', '/fhir/Patient', {
        resourceType: 'Patient',
        name: [{ family: `Idtest${i}` }],
      });
      patients.push(String(response.body.id));
    }
    for (const id of created) assert.match(id, /^r-[0-9a-f]{24}$/);
    for (const id of patients) assert.match(id, /^pt-[0-9a-f]{24}$/);
    assert.equal(new Set(created).size, created.length);
    assert.equal(new Set(patients).size, patients.length);
    const digits = [...created, ...patients].flatMap((id) => Array.from(id.split('-')[1] ?? ''));
    const expected = digits.length / 16;
    const sigma = Math.sqrt(digits.length * (1 / 16) * (15 / 16));
    for (const hex of '0123456789abcdef') {
      const n = digits.filter((d) => d === hex).length;
      assert.ok(Math.abs(n - expected) < 5 * sigma, `hex digit ${hex}: ${n} of ${digits.length}`);
    }
    // Consecutive ids share no long prefix (not a counter or a timestamp).
    for (let i = 1; i < created.length; i += 1) {
      const [a = '', b = ''] = [created[i - 1], created[i]];
      let common = 0;
      while (common < 24 && a[2 + common] === b[2 + common]) common += 1;
      assert.ok(common < 6, `${a} and ${b} share ${common} leading digits`);
    }
  });
});
