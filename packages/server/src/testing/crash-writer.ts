/**
 * Child process of the crash test: writes batches of Observations for alice (each batch = one Bundle-transaction
 * write: one RegisterRecords ledger transaction) until it is killed. Before each write it prints the batch's record
 * ids ("intent"), after the acknowledgement it prints them again ("ack"), so the parent knows what was promised.
 */
import { loadConfig } from '../config.js';
import { Medledger } from '../medledger.js';
import { processTransaction } from '../fhir/bundle.js';
import { loadFhirDefinitions } from '../fhir/validation.js';
import { newId, newRequestId } from '../services/caller.js';
import type { Caller } from '../services/caller.js';

const BATCH = 12;

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (dataDir === undefined) throw new Error('usage: crash-writer <dataDir>');
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const medledger = await Medledger.open(loadConfig({ MEDLEDGER_DATA_DIR: dataDir }), {
    log: silent,
    unsafeFastKdf: true,
  });
  const account = medledger.accounts.get('dr.grey');
  const patientId = medledger.accounts.get('alice')?.patientId;
  if (account === undefined || patientId === undefined) throw new Error('demo accounts missing');
  loadFhirDefinitions(); // half a second once: before "ready", so that kills land among the writes
  process.stdout.write('ready\n');
  if (process.argv[3] === 'bundle')
    await writeBundles({ account, purpose: 'TREAT', requestId: newRequestId(), scope: 'user/*.cruds' }, medledger);
  for (let round = 0; ; round += 1) {
    const ids = Array.from({ length: BATCH }, () => newId('r'));
    process.stdout.write(`intent ${ids.join(',')}\n`);
    await medledger.records.write(
      { account, purpose: 'TREAT', requestId: newRequestId(), scope: 'user/*.cruds' },
      ids.map((recordId, i) => ({
        recordId,
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
          subject: { reference: `Patient/${patientId}` },
          valueQuantity: { value: 60 + ((round + i) % 40), unit: '/min' },
        },
      })),
    );
    process.stdout.write(`ack ${ids.join(',')}\n`);
  }
}

/** Transaction Bundles of a new patient (a unique family name) with a few Observations, one after another. */
async function writeBundles(caller: Caller, medledger: Medledger): Promise<never> {
  for (let round = 0; ; round += 1) {
    const family = `Crashtest${newId('r').slice(2, 14)}`;
    const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
    const observations = Array.from({ length: 6 }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: patientUrl },
        valueQuantity: { value: 60 + i, unit: '/min' },
      },
      request: { method: 'POST', url: 'Observation' },
    }));
    process.stdout.write(`intent ${family}\n`);
    const response = await processTransaction(medledger, caller, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: patientUrl,
          resource: { resourceType: 'Patient', name: [{ family, given: ['Round' + String(round)] }] },
          request: { method: 'POST', url: 'Patient' },
        },
        ...observations,
      ],
    });
    const first = (response.entry as Array<{ resource: { id: string } }>)[0];
    process.stdout.write(`ack ${family} ${first?.resource.id ?? ''}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
