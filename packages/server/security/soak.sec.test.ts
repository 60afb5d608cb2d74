/**
 * Soak (issue 9): mixed load at a fixed rate (open loop: requests start on schedule, whatever the answers) against a
 * real server process over loopback — searches and reads, record creates, transaction Bundles of new patients,
 * consent grants and revocations, access requests. Error rate 0, p99 stable (last window against the first after
 * warm-up), memory flat (the process's RSS), then verify passes.
 * MEDLEDGER_SOAK_SECONDS (default 600), MEDLEDGER_SOAK_RATE requests per second (default 12).
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ChildServer } from './testing/child-server.js';
import type { LiveMemory } from './testing/child-server.js';
import { grant, observation, seededRandom } from './testing/fixtures.js';

const SECONDS = Number(process.env.MEDLEDGER_SOAK_SECONDS ?? '600');
const RATE = Number(process.env.MEDLEDGER_SOAK_RATE ?? '12');
const WINDOWS = 10;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? '0');
  return kib / 1024;
}

function toMiB(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** What the process really holds: the JS heap in use after a full collection plus memory held outside it (Buffers). */
function mib(live: LiveMemory): number {
  return toMiB(live.heapUsed + live.external);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe(`soak: ${SECONDS} s of mixed load at ${RATE} requests/s`, () => {
  let dataDir: string;
  let server: ChildServer;
  let alice = '';
  let bob = '';
  let aliceObs = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'medledger-soak-'));
    server = await ChildServer.start(dataDir, { LOG_LEVEL: 'warn' }, undefined, ['--expose-gc']);
    alice = String((await server.as('alice', 'GET', '/api/whoami')).body.patient).replace('Patient/', '');
    bob = String((await server.as('bob', 'GET', '/api/whoami')).body.patient).replace('Patient/', '');
    aliceObs = String((await server.as('alice', 'GET', '/fhir/Observation')).body.entry?.[0]?.resource.id);
    for (const who of ['dr.grey', 'dr.house', 'claims.ivy', 'admin.hospa', 'po.hospa']) await server.token(who);
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let result:
    | { last: number; baseline: number; rssStart: number; rssEnd: number; liveStart: LiveMemory; liveEnd: LiveMemory }
    | undefined;

  it('error rate 0 at the fixed rate, and verify passes after it', async () => {
    const random = seededRandom(600);
    const openConsents: string[] = [];
    let n = 0;
    // Writes go to patients of their own (Bundles create them; creates rotate over the Bundles' patients), so that
    // the read mix sees a steady state and the latencies compare like with like.
    const writePatients: string[] = [bob];
    const operations: Array<[number, string, () => Promise<number>]> = [
      [
        30,
        'search',
        async () => (await server.as('dr.grey', 'GET', `/fhir/Observation?patient=${alice}&_count=10`)).status,
      ],
      [
        15,
        'search hidden',
        async () => (await server.as('dr.house', 'GET', `/fhir/Condition?patient=${alice}`)).status,
      ],
      [15, 'read', async () => (await server.as('dr.grey', 'GET', `/fhir/Observation/${aliceObs}`)).status],
      [5, 'read patient', async () => (await server.as('dr.grey', 'GET', `/fhir/Patient/${alice}`)).status],
      [
        12,
        'create',
        async () => {
          const patient = writePatients[Math.floor(random() * writePatients.length)] ?? bob;
          const who = patient === bob ? 'dr.house' : 'dr.grey';
          return (await server.as(who, 'POST', '/fhir/Observation', observation(patient, 60 + (n % 40)))).status;
        },
      ],
      [
        5,
        'bundle',
        async () => {
          const url = `urn:uuid:${crypto.randomUUID()}`;
          const response = await server.as('dr.grey', 'POST', '/fhir', {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                fullUrl: url,
                resource: { resourceType: 'Patient', name: [{ family: `Soak${n}` }] },
                request: { method: 'POST', url: 'Patient' },
              },
              ...[1, 2, 3].map((i) => ({
                resource: { ...observation(alice, 70 + i), subject: { reference: url } },
                request: { method: 'POST', url: 'Observation' },
              })),
            ],
          });
          const created = (response.body.entry ?? []).find((e) => e.resource.resourceType === 'Patient');
          if (created !== undefined && writePatients.length < 200) writePatients.push(String(created.resource.id));
          return response.status;
        },
      ],
      [
        8,
        'consent',
        async () => {
          const open = openConsents.shift();
          if (open !== undefined && random() < 0.5)
            return (await server.as('bob', 'DELETE', `/fhir/Consent/${open}`)).status;
          const response = await server.as(
            'bob',
            'POST',
            '/fhir/Consent',
            grant(bob, 'Immunization', 'InsurerMSP-insurer'),
          );
          if (response.status === 201) openConsents.push(String(response.body.id));
          return response.status;
        },
      ],
      [
        5,
        'access request',
        async () =>
          (
            await server.as('claims.ivy', 'POST', '/api/access-requests', {
              patient: `Patient/${bob}`,
              resourceTypes: ['Claim'],
              reasonCode: 'payment-claim',
            })
          ).status,
      ],
      [5, 'audit', async () => (await server.as('po.hospa', 'GET', '/fhir/AuditEvent?_count=5')).status],
    ];
    const total = operations.reduce((sum, [w]) => sum + w, 0);
    const pick = (): [string, () => Promise<number>] => {
      let r = random() * total;
      for (const [weight, name, run] of operations) {
        r -= weight;
        if (r < 0) return [name, run];
      }
      return [operations[0]![1], operations[0]![2]];
    };

    const samples: Array<{ at: number; ms: number; name: string }> = [];
    const errors: string[] = [];
    const memory: Array<{ at: number; mib: number }> = [];
    const start = performance.now();
    const end = start + SECONDS * 1000;
    const inflight = new Set<Promise<void>>();
    let maxInflight = 0;
    let nextMemory = start;
    // Live memory after a full collection, once warmed up: at the start of window 3 (the p99 baseline is windows 1–2,
    // so the collection's pause does not loosen it) and after the load.
    let liveStart: Promise<LiveMemory> | undefined;
    for (let due = start; due < end; due += 1000 / RATE) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (performance.now() >= nextMemory) {
        memory.push({ at: performance.now() - start, mib: rssMiB(server.pid) });
        nextMemory += 5000;
      }
      if (liveStart === undefined && performance.now() - start >= ((SECONDS * 1000) / WINDOWS) * 3) {
        liveStart = server.liveMemory();
      }
      n += 1;
      const [name, run] = pick();
      const began = performance.now();
      const request = run()
        .then((status) => {
          if (status >= 400) errors.push(`${name}: ${status}`);
        })
        .catch((error: unknown) => {
          errors.push(`${name}: ${String(error)}`);
        })
        .finally(() => {
          samples.push({ at: began - start, ms: performance.now() - began, name });
          inflight.delete(request);
        });
      inflight.add(request);
      maxInflight = Math.max(maxInflight, inflight.size);
    }
    await Promise.all(inflight);
    memory.push({ at: performance.now() - start, mib: rssMiB(server.pid) });
    const liveEnd = await server.liveMemory();
    assert.ok(liveStart !== undefined, 'the live memory was sampled after warm-up');
    const liveAfterWarmup = await liveStart;

    const windowMs = (SECONDS * 1000) / WINDOWS;
    const p99s = Array.from({ length: WINDOWS }, (_, w) =>
      quantile(
        samples.filter((s) => s.at >= w * windowMs && s.at < (w + 1) * windowMs).map((s) => s.ms),
        0.99,
      ),
    );
    // Warm-up: the first window (JIT, caches, SQLite pages) is not the baseline.
    const baseline = Math.max(p99s[1] ?? 0, p99s[2] ?? 0);
    const last = p99s[WINDOWS - 1] ?? 0;
    const warm = memory.filter((m) => m.at >= windowMs * 2);
    const rssStart = warm[0]?.mib ?? 0;
    const rssEnd = memory.at(-1)?.mib ?? 0;
    const rssMax = Math.max(...memory.map((m) => m.mib));
    const verify = await server.as('admin.hospa', 'POST', '/api/network/verify');
    const summary = {
      seconds: SECONDS,
      rate: RATE,
      requests: samples.length,
      errors: errors.length,
      maxInflight,
      p50ms: quantile(
        samples.map((s) => s.ms),
        0.5,
      ),
      p99ms: quantile(
        samples.map((s) => s.ms),
        0.99,
      ),
      p99ByWindowMs: p99s.map((p) => Math.round(p)),
      // Which operations the p99 is made of: each one's p99 in the first window after warm-up and in the last.
      p99ByOperationMs: Object.fromEntries(
        operations.map(([, name]) => {
          const of = (w: number): number =>
            Math.round(
              quantile(
                samples
                  .filter((s) => s.name === name && s.at >= w * windowMs && s.at < (w + 1) * windowMs)
                  .map((s) => s.ms),
                0.99,
              ),
            );
          return [name, [of(1), of(WINDOWS - 1)]];
        }),
      ),
      rssMiB: { afterWarmup: Math.round(rssStart), end: Math.round(rssEnd), max: Math.round(rssMax) },
      liveMiB: { afterWarmup: mib(liveAfterWarmup), end: mib(liveEnd) },
      heapTotalMiB: { afterWarmup: toMiB(liveAfterWarmup.heapTotal), end: toMiB(liveEnd.heapTotal) },
      verify: verify.body.ok,
      blocks: (verify.body.ledger as { blocksChecked?: number } | undefined)?.blocksChecked,
    };
    process.stdout.write(`# soak: ${JSON.stringify(summary)}\n`);
    assert.deepEqual(errors.slice(0, 10), [], 'error rate 0');
    assert.ok(samples.length >= SECONDS * RATE * 0.95, 'the rate was held');
    assert.equal(verify.body.ok, true, verify.text.slice(0, 500));
    result = { last, baseline, rssStart, rssEnd, liveStart: liveAfterWarmup, liveEnd };
  });

  // Stable: the last window's p99 within twice the baseline (plus 50 ms for a 2-core machine shared with others).
  // FOUND AND FIXED (docs/security.md, F8): the AuditEvent search read the organisation's whole audit index, oldest
  // first, to answer with the newest, so the p99 of every operation grew with the log (31 → 275 ms by minute in CI);
  // the audit trails are now read newest first, only as far as the page asked for.
  it('p99 stable: the last window against the first ones after warm-up', () => {
    assert.ok(result !== undefined, 'the load ran');
    assert.ok(
      result.last <= 2 * result.baseline + 50,
      `p99 ${Math.round(result.last)} ms in the last window against ${Math.round(result.baseline)} ms`,
    );
  });

  // Flat: no leak. What the server holds after a full collection (JS heap in use + Buffers and other external memory)
  // at the end against after warm-up, at most 25% + 16 MiB more. The resident set is reported, not bounded: it follows
  // when V8 grows its heap and when malloc hands pages back, not what is live (docs/security.md, soak).
  it('memory flat: live memory after a full collection, after warm-up against the end', () => {
    assert.ok(result !== undefined, 'the load ran');
    const { liveStart, liveEnd } = result;
    assert.ok(liveStart.collected && liveEnd.collected, 'the server ran with --expose-gc');
    assert.ok(
      mib(liveEnd) <= mib(liveStart) * 1.25 + 16,
      `live memory ${mib(liveStart)} → ${mib(liveEnd)} MiB (RSS ${Math.round(result.rssStart)} → ${Math.round(result.rssEnd)} MiB)`,
    );
  });
});
