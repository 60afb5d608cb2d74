import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { format, inspect } from 'node:util';

import { isDomainError } from '@medledger/core';

import { EmbeddedCa } from './embedded-ca.js';
import { MembershipService } from './msp.js';
import { FileWallet } from './wallet.js';
import type { FileWalletOptions } from './wallet.js';
import type { X509Identity } from './x509-identity.js';

// Low scrypt cost for speed; one test below opens with the production cost.
const TEST_LOG_N = 10;
const PASSPHRASE = 'correct horse battery staple';

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => isDomainError(error) && error.code === code;
}

function privateKeyText(identity: X509Identity): string[] {
  const pem = identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  const jwk = identity.privateKey.export({ format: 'jwk' });
  return [...body, jwk.d!];
}

describe('FileWallet', () => {
  let root: string;
  let alice: X509Identity;
  let bob: X509Identity;
  let counter = 0;

  const options = (overrides: Partial<FileWalletOptions> = {}): FileWalletOptions => ({
    directory: join(root, `wallet-${counter}`),
    key: { passphrase: PASSPHRASE },
    unsafeScryptLogN: TEST_LOG_N,
    ...overrides,
  });
  const fresh = (overrides: Partial<FileWalletOptions> = {}): FileWalletOptions => {
    counter += 1;
    return options(overrides);
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'medledger-wallet-'));
    const ca = await EmbeddedCa.open({
      directory: join(root, 'ca'),
      mspId: 'HospitalAMSP',
      key: { rawKey: Buffer.alloc(32, 5) },
    });
    await ca.register({ uid: 'alice', role: 'clinician' });
    await ca.register({ uid: 'bob', role: 'patient' });
    alice = await ca.enroll('alice');
    bob = await ca.enroll('bob');
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('round-trips an identity that can still sign', async () => {
    const walletOptions = fresh();
    const wallet = await FileWallet.open(walletOptions);
    await wallet.put('alice', alice);
    const reopened = await FileWallet.open(walletOptions);
    const loaded = await reopened.get('alice');
    assert.ok(loaded);
    assert.equal(loaded.mspId, alice.mspId);
    assert.equal(loaded.certPem, alice.certPem);
    const msp = new MembershipService();
    const data = Buffer.from('proposal');
    assert.equal(msp.verifySignature(alice.certPem, data, msp.sign(loaded.privateKey, data)), true);
    assert.equal(await reopened.get('nobody'), undefined);
  });

  it('lists, replaces and removes identities', async () => {
    const wallet = await FileWallet.open(fresh());
    await wallet.put('bob', bob);
    await wallet.put('alice', alice);
    assert.deepEqual(await wallet.list(), ['alice', 'bob']);
    await wallet.put('alice', bob);
    assert.equal((await wallet.get('alice'))?.certPem, bob.certPem);
    await wallet.remove('alice');
    await wallet.remove('alice');
    assert.deepEqual(await wallet.list(), ['bob']);
  });

  it('rejects a wrong passphrase with UNAUTHENTICATED', async () => {
    const walletOptions = fresh();
    await (await FileWallet.open(walletOptions)).put('alice', alice);
    await assert.rejects(
      FileWallet.open({ ...walletOptions, key: { passphrase: 'not the passphrase' } }),
      rejectsWith('UNAUTHENTICATED'),
    );
  });

  it('works with a raw 32-byte key and rejects a wrong or malformed one', async () => {
    const walletOptions = fresh({ key: { rawKey: Buffer.alloc(32, 0xaa) } });
    await (await FileWallet.open(walletOptions)).put('alice', alice);
    assert.equal((await (await FileWallet.open(walletOptions)).get('alice'))?.certPem, alice.certPem);
    await assert.rejects(
      FileWallet.open({ ...walletOptions, key: { rawKey: Buffer.alloc(32, 0xab) } }),
      rejectsWith('UNAUTHENTICATED'),
    );
    await assert.rejects(
      FileWallet.open({ ...walletOptions, key: { passphrase: PASSPHRASE } }),
      rejectsWith('INVALID_ARGUMENT'),
    );
    await assert.rejects(
      FileWallet.open(fresh({ key: { rawKey: Buffer.alloc(16) } })),
      rejectsWith('INVALID_ARGUMENT'),
    );
    await assert.rejects(FileWallet.open(fresh({ key: { passphrase: '' } })), rejectsWith('INVALID_ARGUMENT'));
  });

  it('answers UNAUTHENTICATED, never garbage, for a tampered or swapped entry', async () => {
    const walletOptions = fresh();
    const wallet = await FileWallet.open(walletOptions);
    await wallet.put('alice', alice);
    await wallet.put('bob', bob);
    const path = join(walletOptions.directory, 'alice.id');
    const box = JSON.parse(readFileSync(path, 'utf8')) as { ct: string };
    const ct = Buffer.from(box.ct, 'base64');
    ct[10] = ct[10]! ^ 0x01;
    writeFileSync(path, JSON.stringify({ ...box, ct: ct.toString('base64') }));
    await assert.rejects(wallet.get('alice'), rejectsWith('UNAUTHENTICATED'));
    // A file moved to another label does not decrypt either: the label is bound to the ciphertext.
    renameSync(join(walletOptions.directory, 'bob.id'), join(walletOptions.directory, 'carol.id'));
    await assert.rejects(wallet.get('carol'), rejectsWith('UNAUTHENTICATED'));
    writeFileSync(path, 'not json');
    await assert.rejects(wallet.get('alice'), rejectsWith('INTERNAL'));
  });

  it('keeps the directory 0700 and every file 0600, with no key material in clear', async () => {
    const walletOptions = fresh();
    const wallet = await FileWallet.open(walletOptions);
    await wallet.put('alice', alice);
    assert.equal(statSync(walletOptions.directory).mode & 0o777, 0o700);
    const names = readdirSync(walletOptions.directory);
    assert.deepEqual(names.sort(), ['alice.id', 'wallet-key.json']);
    for (const name of names) {
      const path = join(walletOptions.directory, name);
      assert.equal(statSync(path).mode & 0o777, 0o600, name);
      const text = readFileSync(path, 'utf8');
      assert.doesNotMatch(text, /PRIVATE KEY|CERTIFICATE/);
      for (const secret of privateKeyText(alice)) assert.equal(text.includes(secret), false);
    }
    const keyFile = JSON.parse(readFileSync(join(walletOptions.directory, 'wallet-key.json'), 'utf8')) as {
      kdf: { name: string; salt: string; logN: number; r: number; p: number };
    };
    assert.equal(keyFile.kdf.name, 'scrypt');
    assert.equal(Buffer.from(keyFile.kdf.salt, 'base64').length, 16);
    assert.deepEqual([keyFile.kdf.logN, keyFile.kdf.r, keyFile.kdf.p], [TEST_LOG_N, 8, 1]);
  });

  it('uses scrypt N=2^15, r=8, p=1 unless a test lowers it, and refuses a weakened wallet otherwise', async () => {
    const production = fresh({ unsafeScryptLogN: undefined });
    await FileWallet.open(production);
    const keyFile = JSON.parse(readFileSync(join(production.directory, 'wallet-key.json'), 'utf8')) as {
      kdf: { logN: number };
    };
    assert.equal(keyFile.kdf.logN, 15);
    const weak = fresh();
    await FileWallet.open(weak);
    await assert.rejects(FileWallet.open({ ...weak, unsafeScryptLogN: undefined }), rejectsWith('INVALID_ARGUMENT'));
  });

  it('refuses labels that could escape the directory or are not file-safe', async () => {
    const wallet = await FileWallet.open(fresh());
    for (const label of ['../alice', 'a/b', '..', '.hidden', '', 'a\\b', 'a b', 'x'.repeat(129), 'a\0b']) {
      await assert.rejects(wallet.put(label, alice), rejectsWith('INVALID_ARGUMENT'), label);
      await assert.rejects(wallet.get(label), rejectsWith('INVALID_ARGUMENT'), label);
      await assert.rejects(wallet.remove(label), rejectsWith('INVALID_ARGUMENT'), label);
    }
    await wallet.put('dr.grey@hospital-a', alice);
    assert.deepEqual(await wallet.list(), ['dr.grey@hospital-a']);
  });

  it('refuses an identity whose key does not match its certificate', async () => {
    const wallet = await FileWallet.open(fresh());
    const mismatched = { mspId: alice.mspId, certPem: alice.certPem, privateKey: bob.privateKey };
    await assert.rejects(wallet.put('alice', mismatched), rejectsWith('INVALID_ARGUMENT'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await assert.rejects(wallet.put('alice', { ...mismatched, privateKey }), rejectsWith('INVALID_ARGUMENT'));
  });

  it('never shows the private key in JSON, inspect, format or spread output', async () => {
    const wallet = await FileWallet.open(fresh());
    await wallet.put('alice', alice);
    const loaded = (await wallet.get('alice'))!;
    for (const identity of [alice, loaded]) {
      const outputs = [
        JSON.stringify(identity),
        JSON.stringify({ user: identity }),
        inspect(identity, { depth: 10, showHidden: true }),
        inspect({ nested: { identity } }, { depth: 10 }),
        format('%o %O %s %j', identity, identity, identity, identity),
        String(identity),
        // Deliberately what a careless logger does: the key is not an own enumerable property, so it is not copied.
        // eslint-disable-next-line @typescript-eslint/no-misused-spread
        JSON.stringify({ ...identity }),
        JSON.stringify(Object.entries(identity)),
      ];
      for (const output of outputs) {
        for (const secret of privateKeyText(identity)) assert.equal(output.includes(secret), false, output);
      }
      assert.match(JSON.stringify(identity), /"privateKey":"\[REDACTED\]"/);
      assert.match(inspect(identity), /privateKey: \[REDACTED\]/);
    }
  });

  it('cannot be used after close', async () => {
    const wallet = await FileWallet.open(fresh());
    wallet.close();
    await assert.rejects(wallet.get('alice'), rejectsWith('INVALID_ARGUMENT'));
  });
});
