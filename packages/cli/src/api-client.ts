import { CliError, EXIT } from './errors.js';
import type { ExitCode } from './errors.js';

import type { Json } from './json.js';

export type { Json };

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Query parameters; undefined values are left out. */
  readonly query?: Readonly<Record<string, string | number | undefined>>;
}

const FHIR_JSON = 'application/fhir+json';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The most specific reason behind a failed fetch: a system error code (ECONNREFUSED, ENOTFOUND, …) or message. */
function networkReason(error: unknown): string {
  let reason = error instanceof Error ? error.message : String(error);
  for (let current: unknown = error, depth = 0; isObjectLike(current) && depth < 5; depth += 1) {
    if (typeof current.code === 'string' && current.code !== '') return current.code;
    if (current instanceof AggregateError) return networkReason(current.errors[0]);
    if (current instanceof Error) reason = current.message;
    current = current.cause;
  }
  return reason;
}

function isObjectLike(value: unknown): value is { code?: unknown; cause?: unknown } {
  return typeof value === 'object' && value !== null;
}

/** The server's explanation of an error: an OperationOutcome's diagnostics, an OAuth2 error, or the text. */
export function errorText(body: unknown, text: string): string {
  if (isObject(body)) {
    const issues = Array.isArray(body.issue) ? (body.issue as unknown[]) : [];
    const messages = issues
      .map((issue) => (isObject(issue) ? (issue.diagnostics ?? issue.code) : undefined))
      .filter((message): message is string => typeof message === 'string');
    if (messages.length > 0) return messages.join('; ');
    if (typeof body.error_description === 'string') return body.error_description;
    if (typeof body.error === 'string') return body.error;
    if (typeof body.message === 'string') return body.message;
  }
  return text.trim().slice(0, 300) || 'no details';
}

/** The exit code for an HTTP error status: refused → 4, unavailable → 3, anything else → 1. */
export function exitCodeFor(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 503) return EXIT.unreachable;
  return EXIT.failure;
}

/** Medledger's HTTP API, as one signed-in caller (or anonymous). Every failure becomes a CliError. */
export class ApiClient {
  #token: string | undefined;

  /** `relogin` gets a fresh token when the current one expires during a long command (an import). */
  constructor(
    readonly baseUrl: string,
    token?: string,
    private readonly relogin?: () => Promise<string>,
  ) {
    this.#token = token;
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** The password grant of `POST /auth/token`. */
  static async login(baseUrl: string, username: string, password: string): Promise<string> {
    const client = new ApiClient(baseUrl);
    const response = await client.send('POST', '/auth/token', {
      body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    const body = response.body;
    if (response.status === 200 && isObject(body) && typeof body.access_token === 'string') return body.access_token;
    if (isObject(body) && body.error === 'invalid_grant') {
      throw new CliError(EXIT.auth, `login refused for ${JSON.stringify(username)}: wrong user name or password`, {
        status: response.status,
      });
    }
    if (response.status === 429) {
      throw new CliError(EXIT.failure, 'too many login attempts from this address; wait a minute and try again', {
        status: 429,
      });
    }
    throw new CliError(exitCodeFor(response.status), `login failed: ${errorText(body, response.text)}`, {
      status: response.status,
    });
  }

  get<T = Json>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T = Json>(path: string, body: unknown = {}, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  delete<T = Json>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /** A JSON request; a non-2xx answer throws a CliError with the server's explanation and the status. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const send = (): ReturnType<ApiClient['send']> =>
      this.send(method, path, {
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body), contentType: FHIR_JSON }),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(options.query === undefined ? {} : { query: options.query }),
      });
    let response = await send();
    if (response.status === 401 && this.relogin !== undefined) {
      this.#token = await this.relogin();
      response = await send();
    }
    if (response.status >= 200 && response.status < 300) return response.body as T;
    const reason = errorText(response.body, response.text);
    const hint = response.status === 401 ? ' (sign in again: the token is missing, expired or revoked)' : '';
    throw new CliError(exitCodeFor(response.status), `${reason}${hint} [HTTP ${response.status}]`, {
      status: response.status,
    });
  }

  private async send(
    method: string,
    path: string,
    options: {
      readonly body?: string;
      readonly contentType?: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly query?: Readonly<Record<string, string | number | undefined>>;
    },
  ): Promise<{ status: number; body: unknown; text: string }> {
    const url = new URL(path.replace(/^\//, ''), `${this.baseUrl}/`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.append(name, String(value));
    }
    const headers: Record<string, string> = { accept: `${FHIR_JSON}, application/json`, ...options.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
    } catch (error: unknown) {
      throw new CliError(EXIT.unreachable, `cannot reach the server at ${this.baseUrl} (${networkReason(error)})`, {
        cause: error,
      });
    }
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: the caller sees the text
    }
    return { status: response.status, body, text };
  }
}
