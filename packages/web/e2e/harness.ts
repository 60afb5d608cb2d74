// The e2e harness shared by the e2e files: a real Medledger server (embedded ledger, demo accounts, empty data
// directory) on a free port and Debian's Chromium driven by playwright-core, plus the page helpers every story uses.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PASSWORD = 'medledger-demo';
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  console.log('# installing chromium with apt-get');
  const result = spawnSync('bash', ['-c', 'apt-get update && apt-get install -y chromium'], { stdio: 'inherit' });
  assert.equal(result.status, 0, 'apt-get install chromium failed');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

async function waitForHealth(base: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${String(server.exitCode)}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the server did not become ready');
}

export interface Harness {
  readonly base: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Stops the browser and the server; prints the end of the server's log when the story failed. */
  readonly stop: (failed: boolean) => Promise<void>;
}

/** Builds the web UI when stale, starts a server on a fresh data directory and a headless Chromium. */
export async function startHarness(): Promise<Harness> {
  ensureChromium();
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
  assert.equal(build.status, 0, 'web build failed');
  const dataDir = mkdtempSync(join(tmpdir(), 'medledger-e2e-data-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'medledger-e2e-profile-'));
  const logFile = join(tmpdir(), `medledger-e2e-server-${String(process.pid)}.log`);
  const port = await freePort();
  const base = `http://127.0.0.1:${String(port)}`;
  const log = createWriteStream(logFile);
  const server = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/server/src/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      MEDLEDGER_DATA_DIR: dataDir,
      MEDLEDGER_PUBLIC_URL: base,
      MEDLEDGER_DEMO: '1',
      MEDLEDGER_TOKEN_RATE_LIMIT: '1000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  let context: BrowserContext | undefined;
  const stop = async (failed: boolean): Promise<void> => {
    await context?.close().catch(() => undefined);
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    if (failed && existsSync(logFile))
      console.log(`# server log (last lines):\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
    rmSync(logFile, { force: true });
  };
  try {
    await waitForHealth(base, server, 180_000);
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1200, height: 760 },
    });
  } catch (error: unknown) {
    await stop(true);
    throw error;
  }
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return { base, context, page, stop };
}

export async function signIn(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel(/^Username/).fill(username);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
}

/** Opens a page of the portal's navigation and waits for its heading. */
export async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 2, name: label }).waitFor();
}

/**
 * Waits for running transitions to end: colours measured halfway through one (a dialog fading in, a button leaving
 * its disabled state, an input's border turning to the focus colour) are neither the before nor the after. Endless
 * animations (loaders) are left running.
 */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getTiming().iterations !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
}

export function inDays(days: number): string {
  return new Date(Date.now() + days * 24 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The steps of a story: each is an `it`; a failing one is remembered so that the server's log is printed at the end. */
export function story(): { step: (name: string, body: () => Promise<void>) => void; failed: () => boolean } {
  let failed = false;
  return {
    step: (name, body) => {
      void it(name, async () => {
        try {
          await body();
        } catch (error: unknown) {
          failed = true;
          throw error;
        }
      });
    },
    failed: () => failed,
  };
}
