/**
 * Child process of the crash test: writes batches of Observations for alice (each batch = one Bundle-transaction
 * write: one RegisterRecords ledger transaction) until it is killed. Before each write it prints the batch's record
 * ids ("intent"), after the acknowledgement it prints them again ("ack"), so the parent knows what was promised.
 */
import { loadConfig } from '../config.js';
import { Medledger } from '../medledger.js';
import { newId, newRequestId } from '../services/caller.js';

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
  process.stdout.write('ready\n');
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

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
