import { resolve } from 'node:path';
import { DomainError } from '@medledger/core';

/** Everything the server reads from its environment, validated once at start. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Where the ledger, vaults, wallet, accounts and keys live (created 0700). */
  readonly dataDir: string;
  readonly production: boolean;
  /** Create the demo accounts (never in production). */
  readonly demo: boolean;
  /** PostgreSQL for the record vault instead of SQLite. */
  readonly databaseUrl?: string;
  /** Base64 of 32 bytes: the KEK for every vault instead of KEKs created in the data directory. */
  readonly vaultKek?: string;
  /** Base64 of 32 bytes: encrypts CA keys, node identities, the user wallet and off-chain reason texts. */
  readonly storageKey?: Buffer;
  /** The server's external base URL: token issuer and audience, paging links. */
  readonly publicUrl: string;
  readonly tokenTtlSeconds: number;
  /** Token endpoint attempts per client address per minute. */
  readonly tokenRateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
    return fallback;
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const text = env[name]?.toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  problems.push(`${name} must be true or false (got ${JSON.stringify(env[name])})`);
  return fallback;
}

function key32(env: Env, name: string, problems: string[]): Buffer | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== text) {
    problems.push(`${name} must be the base64 of exactly 32 random bytes (openssl rand -base64 32)`);
    return undefined;
  }
  return bytes;
}

function publicUrl(env: Env, port: number, problems: string[]): string {
  const value = text(env, 'MEDLEDGER_PUBLIC_URL');
  if (value === undefined) return `http://localhost:${port}`;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return url.toString().replace(/\/$/, '');
  } catch {
    problems.push(`MEDLEDGER_PUBLIC_URL must be an http(s) URL (got ${JSON.stringify(value)})`);
    return `http://localhost:${port}`;
  }
}

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function logLevel(env: Env, problems: string[]): ServerConfig['logLevel'] {
  const level = text(env, 'LOG_LEVEL') ?? 'info';
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as ServerConfig['logLevel'];
  problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return 'info';
}

function databaseUrl(env: Env, problems: string[]): string | undefined {
  const url = text(env, 'DATABASE_URL');
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// connection string');
  }
  return url;
}

function demoMode(env: Env, production: boolean, problems: string[]): boolean {
  const demo = flag(env, 'MEDLEDGER_DEMO', !production, problems);
  if (demo && production) {
    problems.push('MEDLEDGER_DEMO cannot be on when NODE_ENV=production (demo accounts share a public password)');
  }
  return demo && !production;
}

function storageKey(env: Env, production: boolean, problems: string[]): Buffer | undefined {
  const before = problems.length;
  const key = key32(env, 'MEDLEDGER_STORAGE_KEY', problems);
  if (production && key === undefined && problems.length === before) {
    problems.push('MEDLEDGER_STORAGE_KEY is required when NODE_ENV=production (keep it outside the data directory)');
  }
  return key;
}

/**
 * Reads the server's configuration from environment variables (see the README's configuration table). No variables
 * at all gives the embedded demo on port 8080 with data in ./data.
 * @throws DomainError INVALID_ARGUMENT listing every problem at once
 */
export function loadConfig(env: Env = process.env): ServerConfig {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const port = integer(env, 'PORT', 8080, 0, 65535, problems);
  const vaultKek = text(env, 'MEDLEDGER_VAULT_KEK');
  if (vaultKek !== undefined) key32(env, 'MEDLEDGER_VAULT_KEK', problems);
  const url = databaseUrl(env, problems);
  const key = storageKey(env, production, problems);
  const config: ServerConfig = {
    host: text(env, 'HOST') ?? '127.0.0.1',
    port,
    dataDir: resolve(text(env, 'MEDLEDGER_DATA_DIR') ?? 'data'),
    production,
    demo: demoMode(env, production, problems),
    ...(url === undefined ? {} : { databaseUrl: url }),
    ...(vaultKek === undefined ? {} : { vaultKek }),
    ...(key === undefined ? {} : { storageKey: key }),
    publicUrl: publicUrl(env, port, problems),
    tokenTtlSeconds: integer(env, 'MEDLEDGER_TOKEN_TTL', 900, 60, 86_400, problems),
    tokenRateLimitPerMinute: integer(env, 'MEDLEDGER_TOKEN_RATE_LIMIT', 30, 1, 100_000, problems),
    bodyLimitBytes: integer(env, 'MEDLEDGER_BODY_LIMIT', 16 * 1024 * 1024, 1024, 512 * 1024 * 1024, problems),
    logLevel: logLevel(env, problems),
  };
  if (problems.length > 0) {
    throw new DomainError('INVALID_ARGUMENT', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}
