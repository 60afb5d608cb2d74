import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/test-server.js';

type Json = Record<string, unknown>;
type Bundle = Json & { entry?: Array<{ resource: Json }>; link?: Array<{ relation: string; url: string }> };

function resources(bundle: Bundle): Json[] {
  return (bundle.entry ?? []).map((entry) => entry.resource);
}

function nextLink(bundle: Bundle): string | undefined {
  const url = bundle.link?.find((link) => link.relation === 'next')?.url;
  return url === undefined ? undefined : new URL(url).pathname + new URL(url).search;
}

function newestFirst(events: Json[]): boolean {
  return events.every((event, i) => i === 0 || String(events[i - 1]?.recorded) >= String(event.recorded));
}

describe('AuditEvent search: newest first, reading only what it answers with', () => {
  let server: TestServer;
  let alice: string;
  /** How many audit events the API read from the ledger (a spy around the real call; nothing is stubbed). */
  let eventsRead = 0;

  before(async () => {
    server = await TestServer.start();
    alice = server.patientId('alice');
    for (let i = 0; i < 30; i += 1) {
      const read = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=Patient/${alice}`);
      assert.equal(read.status, 200, read.text);
    }
    const { access } = server.medledger;
    const auditTrail = access.auditTrail.bind(access);
    access.auditTrail = async (...args) => {
      const page = await auditTrail(...args);
      eventsRead += page.events.length;
      return page;
    };
  });
  after(async () => server.stop());

  it('answers a short search from the newest events without reading the rest of the trail', async () => {
    const all = await server.as('alice', 'GET', '/fhir/AuditEvent?_count=0');
    const total = Number(all.body.total);
    assert.ok(total > 30, `alice's trail holds the 30 reads and more (${String(total)})`);

    eventsRead = 0;
    const five = await server.as('alice', 'GET', '/fhir/AuditEvent?_count=5');
    assert.equal(five.status, 200, five.text);
    assert.equal(resources(five.body as Bundle).length, 5);
    assert.ok(eventsRead <= 6, `a page of 5 read ${String(eventsRead)} events of ${String(total)}`);
    assert.equal(five.body.total, undefined, 'the total is left out when the search stopped reading early');
    assert.ok(nextLink(five.body), 'and a next link says there is more');
  });

  it('pages through the whole trail newest first, each event once, ending without a next link', async () => {
    const everything = await server.as('alice', 'GET', '/fhir/AuditEvent?_count=200');
    const expected = resources(everything.body);
    assert.equal(everything.body.total, expected.length, 'a search that read to the end gives the total');
    assert.ok(newestFirst(expected));

    const paged: Json[] = [];
    let path: string | undefined = '/fhir/AuditEvent?_count=7';
    let pages = 0;
    while (path !== undefined) {
      const page = await server.as('alice', 'GET', path);
      assert.equal(page.status, 200, page.text);
      paged.push(...resources(page.body));
      path = nextLink(page.body);
      pages += 1;
      assert.ok(pages <= 20, 'the next links end');
    }
    assert.deepEqual(
      paged.map((event) => event.id),
      expected.map((event) => event.id),
    );
    assert.equal(new Set(paged.map((event) => event.id)).size, paged.length);
  });

  it('shows the newest event first: the latest read is at the top', async () => {
    const read = await server.as('dr.grey', 'GET', `/fhir/Observation?patient=Patient/${alice}`);
    assert.equal(read.status, 200);
    const [newest] = resources((await server.as('alice', 'GET', '/fhir/AuditEvent?_count=1')).body);
    const whoReference = (newest?.agent as Array<{ who?: { reference?: string } }> | undefined)?.[0]?.who?.reference;
    assert.equal(whoReference, 'Practitioner/dr.grey');
    assert.ok(Date.now() - Date.parse(String(newest?.recorded)) < 60_000, 'recorded within the last minute');
  });

  it("gives a privacy officer the newest events of one patient that involve the officer's organisation", async () => {
    const search = await server.as('po.hospa', 'GET', `/fhir/AuditEvent?patient=Patient/${alice}&_count=3`);
    assert.equal(search.status, 200, search.text);
    const events = resources(search.body);
    assert.equal(events.length, 3);
    assert.ok(newestFirst(events));
    const own = await server.as('alice', 'GET', '/fhir/AuditEvent?_count=3');
    assert.deepEqual(
      events.map((event) => event.id),
      resources(own.body as Bundle).map((event) => event.id),
      "alice's newest events are HospitalA's reads, so both see the same three",
    );
    const other = await server.as('po.hospb', 'GET', `/fhir/AuditEvent?patient=Patient/${alice}&_count=3`);
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(resources(other.body as Bundle), [], 'HospitalB took no part in them');
  });

  it('reads one AuditEvent by id, the oldest too, and answers 404 for an id that is not the caller’s', async () => {
    const everything = resources((await server.as('alice', 'GET', '/fhir/AuditEvent?_count=200')).body);
    const oldest = everything.at(-1);
    assert.ok(oldest);
    const read = await server.as('alice', 'GET', `/fhir/AuditEvent/${String(oldest.id)}`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.id, oldest.id);
    const stranger = await server.as('bob', 'GET', `/fhir/AuditEvent/${String(oldest.id)}`);
    assert.equal(stranger.status, 404);
    assert.equal(stranger.body.resourceType, 'OperationOutcome');
  });

  it('stops a search that finds too little after about 50,000 events, and says so in an outcome entry', async () => {
    // A stand-in for the ledger's audit trail (unit test): an endless trail of events the search does not match.
    const { access } = server.medledger;
    const real = access.auditTrail.bind(access);
    let calls = 0;
    access.auditTrail = async (caller, _query) => {
      calls += 1;
      const page = await real(caller, { pageSize: 1 });
      return { events: page.events, bookmark: 'more' };
    };
    try {
      const search = await server.as('alice', 'GET', '/fhir/AuditEvent?_id=ae-000000000000000000000000');
      assert.equal(search.status, 200, search.text);
      assert.equal(calls, 100, 'at most 100 ledger pages');
      const entries = (search.body as Bundle).entry ?? [];
      assert.deepEqual(
        entries.map((entry) => [entry.resource.resourceType, (entry as { search?: { mode?: string } }).search?.mode]),
        [['OperationOutcome', 'outcome']],
      );
      assert.equal(search.body.total, undefined);
      assert.equal(nextLink(search.body as Bundle), undefined, 'no next link into what was not read');
    } finally {
      access.auditTrail = real;
    }
  });
});
