import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../testing/cli-harness.js';

interface StatusJson {
  readonly running: boolean;
  readonly reason: string;
  readonly cacheDir: string;
  readonly binaries: Record<string, boolean>;
  readonly fabricBuilt: boolean;
  readonly caBuilt: boolean;
}

function fakeBinary(dir: string, ...path: string[]): void {
  const file = join(dir, ...path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, '#!/bin/sh\necho "Version: 0.0.0-test"\n');
  chmodSync(file, 0o755);
}

describe('medledger network', () => {
  const root = mkdtempSync(join(tmpdir(), 'medledger-cli-network-'));
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('status shows an empty binary cache, says why no network runs, and exits 1 (never pretends)', async () => {
    const cache = join(root, 'empty');
    const result = await runCli(['network', 'status', '--json'], { env: { MEDLEDGER_FABRIC_CACHE: cache } });
    assert.equal(result.code, 1, result.stderr);
    const status = JSON.parse(result.stdout) as StatusJson;
    assert.equal(status.running, false);
    assert.equal(status.cacheDir, cache);
    assert.equal(status.fabricBuilt, false);
    assert.equal(status.caBuilt, false);
    assert.equal(status.binaries.peer, false);
    assert.equal(status.binaries['fabric-ca-server'], false);
    assert.match(status.reason, /the Go module proxy refuses github\.com\/hyperledger\/fabric/);
    const human = await runCli(['network', 'status'], { env: { MEDLEDGER_FABRIC_CACHE: cache } });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /^Fabric network: not running$/m);
    assert.match(human.stdout, /^ {2}peer +missing$/m);
  });

  it('up and down exit 1 with the reason; with the binaries built they say the network scripts are missing', async () => {
    const cache = join(root, 'built');
    const env = { MEDLEDGER_FABRIC_CACHE: cache };
    const up = await runCli(['network', 'up'], { env });
    assert.equal(up.code, 1);
    assert.match(up.stderr, /^medledger: cannot start a Fabric network: no peer or orderer binary is built/);
    const down = await runCli(['network', 'down', '--json'], { env });
    assert.equal(down.code, 1);
    assert.match((JSON.parse(down.stderr) as { error: string }).error, /no Fabric network to stop/);

    for (const name of ['peer', 'orderer', 'osnadmin', 'configtxgen', 'configtxlator', 'cryptogen']) {
      fakeBinary(cache, 'bin', name);
    }
    for (const name of ['detect', 'build', 'release']) fakeBinary(cache, 'builders', 'ccaas', 'bin', name);
    const status = JSON.parse((await runCli(['network', 'status', '--json'], { env })).stdout) as StatusJson;
    assert.equal(status.fabricBuilt, true);
    assert.equal(status.caBuilt, false);
    assert.equal(status.running, false);
    const builtUp = await runCli(['network', 'up'], { env });
    assert.equal(builtUp.code, 1);
    assert.match(builtUp.stderr, /the network scripts .* are not written yet/);
  });

  it('build passes its arguments to network/build.sh: a bad --only is a usage error (exit 2)', async () => {
    const result = await runCli(['network', 'build', '--only', 'peer'], {
      env: { MEDLEDGER_FABRIC_CACHE: join(root, 'never'), PATH: process.env.PATH },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--only takes fabric or ca/);
  });
});
