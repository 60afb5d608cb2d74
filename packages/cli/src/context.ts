import { resolve } from 'node:path';
import { ApiClient } from './api-client.js';
import { CliError, EXIT, usageError } from './errors.js';
import { Output } from './io.js';
import type { CliDeps } from './io.js';

/** The options every command takes (README "Global options"). */
export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly user?: string;
  readonly dataDir?: string;
  readonly json?: boolean;
  readonly debug?: boolean;
}

/** Where `npm start` listens by default. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** What a command needs: the output, the environment, the server (HTTP mode) or the data directory (in-process). */
export class Context {
  readonly out: Output;
  #client: Promise<ApiClient> | undefined;

  constructor(
    readonly deps: CliDeps,
    readonly options: GlobalOptions,
  ) {
    this.out = new Output(deps, options.json === true);
  }

  get env(): CliDeps['env'] {
    return this.deps.env;
  }

  /** The server's base URL: --url, else MEDLEDGER_URL, else npm start's default. */
  baseUrl(): string {
    const text = nonEmpty(this.options.url) ?? nonEmpty(this.env.MEDLEDGER_URL) ?? DEFAULT_URL;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw usageError(`--url must be an http(s) URL (got ${JSON.stringify(text)})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw usageError(`--url must be an http(s) URL (got ${JSON.stringify(text)})`);
    }
    return url.toString().replace(/\/+$/, '');
  }

  /** The data directory for in-process commands: --data-dir, else MEDLEDGER_DATA_DIR, else ./data (as the server). */
  dataDir(): string {
    return resolve(this.deps.cwd, nonEmpty(this.options.dataDir) ?? nonEmpty(this.env.MEDLEDGER_DATA_DIR) ?? 'data');
  }

  /** True when the command should talk to a server rather than open the data directory itself. */
  prefersHttp(): boolean {
    if (this.options.url !== undefined && this.options.dataDir !== undefined) {
      throw usageError('use either --url (a running server) or --data-dir (in-process), not both');
    }
    if (this.options.url !== undefined) return true;
    if (this.options.dataDir !== undefined) return false;
    return nonEmpty(this.env.MEDLEDGER_URL) !== undefined;
  }

  /** An API client signed in as --token / --user (or MEDLEDGER_TOKEN / MEDLEDGER_USER); one login per run. */
  api(): Promise<ApiClient> {
    this.#client ??= this.signIn();
    return this.#client;
  }

  /** A client without credentials (public endpoints). */
  anonymous(): ApiClient {
    return new ApiClient(this.baseUrl());
  }

  private async signIn(): Promise<ApiClient> {
    const baseUrl = this.baseUrl();
    const { token, user } = this.options;
    if (token !== undefined && user !== undefined) throw usageError('use either --token or --user, not both');
    const chosenToken = nonEmpty(token) ?? (user === undefined ? nonEmpty(this.env.MEDLEDGER_TOKEN) : undefined);
    if (chosenToken !== undefined) return new ApiClient(baseUrl, chosenToken);
    const username = nonEmpty(user) ?? nonEmpty(this.env.MEDLEDGER_USER);
    if (username === undefined) {
      throw usageError('sign in with --user <name> (password from MEDLEDGER_PASSWORD or a prompt) or --token <jwt>');
    }
    const password = await this.password(username);
    const login = (): Promise<string> => ApiClient.login(baseUrl, username, password);
    return new ApiClient(baseUrl, await login(), login);
  }

  private async password(username: string): Promise<string> {
    const fromEnv = this.env.MEDLEDGER_PASSWORD;
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (!this.deps.interactive) {
      throw usageError(`no password for ${username}: set MEDLEDGER_PASSWORD or run on a terminal to be asked`);
    }
    const answer = await this.deps.prompt(`Password for ${username}: `, { hidden: true });
    if (answer === '') throw new CliError(EXIT.usage, 'no password given');
    return answer;
  }
}
