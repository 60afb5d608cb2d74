/**
 * Crash-safety test helper (run by embedded-ledger.crash.test.ts): opens the embedded ledger in the data directory
 * given as argument, takes the clinician enrolled by an earlier run from a wallet in that directory (enrolling and
 * storing one on the first run), then registers patients from several concurrent submitters until killed.
 *
 * stdout protocol, one line each, written synchronously so a line is in the pipe before anything else happens:
 *   `opening`                  about to call EmbeddedLedger.open (CAs, node identities, genesis on a fresh directory)
 *   `open <height>`            the ledger is open
 *   `ready`                    the clinician is enrolled (or loaded) and submitters start
 *   `<txId> <blockNumber>`     `submit` resolved: the ledger reported the transaction committed (VALID) in that block
 * Any failure is printed to stderr and ends the process with code 1 (the test expects it to end only by SIGKILL).
 */
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileWallet } from '../identity/index.js';
import type { SigningIdentity } from '../ledger-client.js';
import { EmbeddedLedger } from './embedded-ledger.js';

const CRASH_LEDGER_KEY = { passphrase: 'embedded-ledger-crash-test' };
const CRASH_SCRYPT_LOG_N = 10;
const CRASH_CLIENT_WALLET = 'clients';
const CRASH_CLINICIAN = { mspId: 'HospitalAMSP', uid: 'crash-clinician', label: 'crash-clinician' } as const;
const SUBMITTERS = 8;

/** Writes the whole line to fd 1, retrying while a non-blocking pipe is full. */
function report(line: string): void {
  const bytes = Buffer.from(`${line}\n`, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (err: unknown) {
      if ((err as { code?: unknown }).code !== 'EAGAIN') throw err;
    }
  }
}

async function clinician(ledger: EmbeddedLedger, dataDir: string): Promise<SigningIdentity> {
  const wallet = await FileWallet.open({
    directory: join(dataDir, CRASH_CLIENT_WALLET),
    key: CRASH_LEDGER_KEY,
    unsafeScryptLogN: CRASH_SCRYPT_LOG_N,
  });
  try {
    const stored = await wallet.get(CRASH_CLINICIAN.label);
    if (stored) return stored;
    const issued = await ledger.enroll(CRASH_CLINICIAN.mspId, 'clinician', CRASH_CLINICIAN.uid);
    await wallet.put(CRASH_CLINICIAN.label, issued);
    return issued;
  } finally {
    wallet.close();
  }
}

async function main(dataDir: string): Promise<void> {
  report('opening');
  const ledger = await EmbeddedLedger.open({
    dataDir,
    key: CRASH_LEDGER_KEY,
    unsafeScryptLogN: CRASH_SCRYPT_LOG_N,
    batch: { timeoutMs: 2 },
  });
  report(`open ${await ledger.height()}`);
  const client = ledger.connect(await clinician(ledger, dataDir));
  report('ready');
  const submitter = async (): Promise<never> => {
    for (;;) {
      const patientUid = `pu-${randomBytes(16).toString('hex')}`;
      const { txId, blockNumber } = await client.submit('RegisterPatient', JSON.stringify({ patientUid }));
      report(`${txId} ${blockNumber}`);
    }
  };
  await Promise.all(Array.from({ length: SUBMITTERS }, submitter));
}

const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write('usage: testing-ledger-crash-child.ts <data dir>\n');
  process.exit(2);
}
main(dataDir).catch((err: unknown) => {
  process.stderr.write(`crash child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
