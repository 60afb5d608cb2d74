import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vaultOptionsFromEnv } from './config.js';

describe('vaultOptionsFromEnv', () => {
  it('defaults to SQLite and a key directory in the data dir', () => {
    assert.deepEqual(vaultOptionsFromEnv({}, '/srv/data'), { dataDir: '/srv/data', keyDir: '/srv/data/vault-keys' });
  });

  it('selects PostgreSQL with DATABASE_URL and configured KEKs, current first', () => {
    assert.deepEqual(
      vaultOptionsFromEnv({ DATABASE_URL: 'postgres://db/x', MEDLEDGER_VAULT_KEK: ' a, b ,' }, '/srv/data'),
      { dataDir: '/srv/data', databaseUrl: 'postgres://db/x', kek: ['a', 'b'] },
    );
  });

  it('honours MEDLEDGER_VAULT_KEY_DIR', () => {
    assert.deepEqual(vaultOptionsFromEnv({ MEDLEDGER_VAULT_KEY_DIR: '/keys' }, '/d'), {
      dataDir: '/d',
      keyDir: '/keys',
    });
  });
});
