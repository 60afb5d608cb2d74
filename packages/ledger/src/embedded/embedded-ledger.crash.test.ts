import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';

import type { ValidationCode } from '../ledger-client.js';
import { blockHash } from './block.js';
import { EmbeddedLedger } from './embedded-ledger.js';
import { openLedgerStore } from './ledger-store.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CRASH_CHILD = join(__dirname, 'testing-ledger-crash-child.ts');
/** The child's storage key and scrypt cost (see testing-ledger-crash-child.ts). */
const LEDGER_KEY = { passphrase: 'embedded-ledger-crash-test' };
const SCRYPT_LOG_N = 10;
const TEMP = mkdtempSync(join(tmpdir(), 'embedded-ledger-crash-'));

/**
 * Each lane is a data directory and its kills in order: `startup` kills land while the child starts (creating or
 * opening the CAs, node identities and store, genesis, enrollment, first submits), `stream` kills after it reported
 * commits. Three lanes start from an empty directory, so their first kill lands while the network is being created;
 * the long lane keeps growing one chain.
 */
type Kill = 'startup' | 'stream';
const LANES: ReadonlyArray<readonly Kill[]> = [
  ['startup', 'stream'],
  ['startup', 'stream'],
  ['startup', 'stream'],
  Array.from({ length: 18 }, (_, round): Kill => (round % 4 === 3 ? 'startup' : 'stream')),
];
/**
 * Start-up kills land up to this many times the child's last measured start-up (`opening` to `ready`: CAs, node
 * identities, genesis, enrollment; about 300 ms on a 2-core machine) after `opening`, so most land inside it.
 */
const STARTUP_WINDOW_FACTOR = 1.2;
const DEFAULT_STARTUP_MS = 300;
/** Mid-stream kills land up to this long after the first reported commit (the child commits ~400 tx/s). */
const STREAM_WINDOW_MS = 400;
const CHILD_REPORT_TIMEOUT_MS = 10_000;

after(() => {
  rmSync(TEMP, { recursive: true, force: true });
});

/** How far the child got before the kill, by the last line it printed. */
type Phase = 'spawned' | 'opening' | 'open' | 'ready' | 'streaming';

interface ChildRun {
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly phase: Phase;
  /** txId → block number, for every transaction the child reported committed. */
  readonly committed: ReadonlyMap<string, number>;
  /** From `opening` to `ready`, when the child got that far. */
  readonly startupMs: number | undefined;
}

const TX_LINE = /^([0-9a-f]{64}) (\d+)$/;

/**
 * Starts the child on `dataDir` and SIGKILLs exactly that process `delayMs` after it printed `waitFor` (`opening`:
 * during start-up; `streaming`: after its first reported commit). Resolves once the child is gone and its stdout is
 * drained, so every line it wrote before dying has been read.
 */
async function runChildUntilKilled(
  dataDir: string,
  waitFor: 'opening' | 'streaming',
  delayMs: number,
): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CRASH_CHILD, dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const committed = new Map<string, number>();
  let phase: Phase = 'spawned';
  let openingAt = 0;
  let startupMs: number | undefined;
  let pending = '';
  let stderr = '';
  let reached: () => void = () => undefined;
  const reachedPhase = new Promise<void>((resolve) => (reached = resolve));
  const onLine = (line: string): void => {
    const tx = TX_LINE.exec(line);
    if (tx) {
      committed.set(tx[1] ?? '', Number(tx[2]));
      phase = 'streaming';
    } else if (line === 'opening') {
      phase = line;
      openingAt = performance.now();
    } else if (line === 'ready') {
      phase = line;
      startupMs = performance.now() - openingAt;
    } else if (/^open \d+$/.test(line)) {
      phase = 'open';
    } else {
      stderr += `unexpected stdout line: ${line}\n`;
    }
    if (phase === waitFor) reached();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  // 'close' fires after the process exited and its stdio streams ended: nothing reported is left unread.
  const closed = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('close', (_code, signal) => {
      resolve(signal);
    });
  });
  await Promise.race([reachedPhase, closed, sleep(CHILD_REPORT_TIMEOUT_MS, undefined, { ref: false })]);
  await sleep(delayMs);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const signal = await closed;
  if (pending !== '') onLine(pending);
  return { signal, stderr, phase, committed, startupMs };
}

interface ChainCheck {
  readonly height: number;
  readonly tipHash: string;
}

/**
 * Reopens the ledger the child left and checks it: verify() is ok over every block, the height did not go down, the
 * block that was the tip last round is unchanged, and every transaction the child ever reported is in the block it
 * was reported in, marked VALID.
 */
async function checkAfterCrash(
  dataDir: string,
  reported: ReadonlyMap<string, number>,
  previous: ChainCheck,
  context: string,
): Promise<ChainCheck> {
  const ledger = await EmbeddedLedger.open({
    dataDir,
    key: LEDGER_KEY,
    unsafeScryptLogN: SCRYPT_LOG_N,
    signatureWorkers: 0,
  });
  try {
    const height = await ledger.height();
    const report = await ledger.verify();
    assert.equal(report.ok, true, `${context}: verify failed: ${report.problems.join('; ')}`);
    assert.equal(
      report.blocksChecked,
      height,
      `${context}: verify checked ${report.blocksChecked} of ${height} blocks`,
    );
    assert.ok(height >= previous.height, `${context}: height went down from ${previous.height} to ${height}`);
    if (previous.height > 0) {
      const formerTip = blockHash(ledger.block(previous.height - 1).header);
      assert.equal(formerTip, previous.tipHash, `${context}: block ${previous.height - 1} changed since last round`);
    }
    const inChain = new Map<string, { blockNumber: number; code: ValidationCode | undefined }>();
    for (let n = 0; n < height; n++) {
      const block = ledger.block(n);
      block.transactions.forEach((tx, i) => {
        if (!inChain.has(tx.proposal.txId)) {
          inChain.set(tx.proposal.txId, { blockNumber: n, code: block.validation[i] });
        }
      });
    }
    for (const [txId, blockNumber] of reported) {
      const found = inChain.get(txId);
      assert.ok(
        found,
        `${context}: reported tx ${txId} (block ${blockNumber}) is not in the chain of height ${height}`,
      );
      assert.equal(found.blockNumber, blockNumber, `${context}: tx ${txId} reported in block ${blockNumber}`);
      assert.equal(found.code, 'VALID', `${context}: tx ${txId} in block ${blockNumber} is ${String(found.code)}`);
    }
    return { height, tipHash: height === 0 ? '' : blockHash(ledger.block(height - 1).header) };
  } finally {
    await ledger.close();
  }
}

/** Height of the store the child left, without creating anything (0 when it has no file or no genesis yet). */
function storedHeight(dataDir: string): number {
  const path = join(dataDir, 'ledger.sqlite');
  if (!existsSync(path)) return 0;
  const store = openLedgerStore(path);
  try {
    return store.height();
  } finally {
    store.close();
  }
}

interface LaneStats {
  readonly phases: Map<Phase, number>;
  reported: number;
  reopened: number;
  kills: number;
  startupMs: number;
}

/** Runs one lane's kills on a fresh directory, checking the ledger after each; returns the final height. */
async function runLane(lane: number, kills: readonly Kill[], stats: LaneStats): Promise<number> {
  const dataDir = join(TEMP, `lane-${lane}`);
  const reported = new Map<string, number>();
  let chain: ChainCheck = { height: 0, tipHash: '' };
  for (const [round, kill] of kills.entries()) {
    const startup = kill === 'startup';
    const delay = Math.random() * (startup ? stats.startupMs * STARTUP_WINDOW_FACTOR : STREAM_WINDOW_MS);
    const run = await runChildUntilKilled(dataDir, startup ? 'opening' : 'streaming', delay);
    const context = `lane ${lane} round ${round} (${kill} kill after ${delay.toFixed(0)} ms)`;
    assert.equal(run.signal, 'SIGKILL', `${context}: the child ended on its own:\n${run.stderr}`);
    assert.equal(run.stderr, '', `${context}: the child wrote to stderr`);
    if (!startup) assert.equal(run.phase, 'streaming', `${context}: killed before it reported a commit`);
    stats.kills += 1;
    stats.phases.set(run.phase, (stats.phases.get(run.phase) ?? 0) + 1);
    stats.startupMs = run.startupMs ?? stats.startupMs;
    for (const [txId, blockNumber] of run.committed) reported.set(txId, blockNumber);

    // Killed before genesis was stored: opening here would create genesis in the test process, so leave the
    // half-initialised directory (CAs, node identities) for the next child to complete.
    if (storedHeight(dataDir) === 0) {
      assert.equal(run.committed.size, 0, `${context}: commits reported without a genesis block`);
      continue;
    }
    chain = await checkAfterCrash(dataDir, reported, chain, context);
    stats.reopened += 1;
  }
  stats.reported += reported.size;
  return chain.height;
}

describe('EmbeddedLedger crash safety', () => {
  it('loses no reported commit and keeps a verifiable chain when the process is SIGKILLed at random points', async (t) => {
    const started = Date.now();
    const stats: LaneStats = { phases: new Map(), reported: 0, reopened: 0, kills: 0, startupMs: DEFAULT_STARTUP_MS };
    const heights: number[] = [];
    for (const [lane, kills] of LANES.entries()) heights.push(await runLane(lane, kills, stats));

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const phaseSummary = [...stats.phases].map(([phase, count]) => `${phase}=${count}`).join(' ');
    t.diagnostic(
      `${stats.kills} kills in ${LANES.length} lanes (last phase reached: ${phaseSummary}), ` +
        `${stats.reopened} reopened and verified, ${stats.reported} reported commits all found VALID, ` +
        `final heights ${heights.join('/')}, ${seconds} s`,
    );
    const streaming = stats.phases.get('streaming') ?? 0;
    assert.ok(stats.kills >= 20 && streaming >= 15, `${stats.kills} kills, ${streaming} of them mid-stream`);
    assert.ok((stats.phases.get('opening') ?? 0) >= 1, 'no kill landed while the ledger was opening');
    assert.ok(heights.every((height) => height > 1));
  });
});
