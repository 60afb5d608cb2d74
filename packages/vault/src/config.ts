import { join } from 'node:path';
import type { VaultOptions } from './vault-types.js';

/**
 * The vault's part of an app's configuration, from environment variables (for the server's `loadConfig`):
 * `DATABASE_URL` selects PostgreSQL; `MEDLEDGER_VAULT_KEK` supplies the KEK(s) as base64, comma-separated, current
 * first; otherwise `MEDLEDGER_VAULT_KEY_DIR` (default `<dataDir>/vault-keys`) holds generated KEKs.
 */
export function vaultOptionsFromEnv(env: Readonly<Record<string, string | undefined>>, dataDir: string): VaultOptions {
  const databaseUrl = env['DATABASE_URL']?.trim();
  const kek = env['MEDLEDGER_VAULT_KEK']
    ?.split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  const keyDir = env['MEDLEDGER_VAULT_KEY_DIR']?.trim();
  return {
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(kek !== undefined && kek.length > 0 ? { kek } : { keyDir: keyDir ? keyDir : join(dataDir, 'vault-keys') }),
  };
}
