import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

/** An HTTP error with the server's own explanation (an OperationOutcome's diagnostics or an OAuth error). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface TokenAnswer {
  readonly accessToken: string;
  readonly expiresIn: number;
}

interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

function messageOf(status: number, body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const record = body as { issue?: Array<{ diagnostics?: string }>; error_description?: string; error?: string };
    const diagnostics = record.issue?.[0]?.diagnostics;
    if (diagnostics !== undefined) return diagnostics;
    if (record.error_description !== undefined) return record.error_description;
    if (record.error !== undefined) return record.error;
  }
  if (status === 0) return 'The server could not be reached. Check your connection and try again.';
  return `The server answered ${status}.`;
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `POST /auth/token` with the password grant. A wrong password and an unknown user get the same message. */
export async function requestToken(username: string, password: string): Promise<TokenAnswer> {
  const response = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    credentials: 'omit',
  });
  const body = await parse(response);
  if (response.status === 400 && (body as { error?: string } | undefined)?.error === 'invalid_grant')
    throw new ApiError(400, 'Wrong username or password.');
  if (response.status === 429) throw new ApiError(429, 'Too many sign-in attempts. Wait a minute and try again.');
  if (!response.ok) throw new ApiError(response.status, messageOf(response.status, body));
  const answer = body as { access_token: string; expires_in: number };
  return { accessToken: answer.access_token, expiresIn: answer.expires_in };
}

/**
 * The signed-in person's view of the API. The token lives only in this object (memory): nothing is written to
 * browser storage. A 401 means the session is over: `onExpired` sends the person back to the login page.
 */
export class ApiClient {
  readonly #token: string;
  readonly #onExpired: () => void;

  constructor(token: string, onExpired: () => void) {
    this.#token = token;
    this.#onExpired = onExpired;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: 'application/fhir+json, application/json',
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: 'omit',
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch {
      throw new ApiError(0, messageOf(0, undefined));
    }
    const body = await parse(response);
    if (response.status === 401) {
      this.#onExpired();
      throw new ApiError(401, 'Your session has expired. Please sign in again.');
    }
    if (!response.ok) throw new ApiError(response.status, messageOf(response.status, body));
    return body as T;
  }

  get<T>(path: string, headers?: Readonly<Record<string, string>>): Promise<T> {
    return this.request<T>('GET', path, headers === undefined ? {} : { headers });
  }

  post<T>(path: string, body: unknown, headers?: Readonly<Record<string, string>>): Promise<T> {
    return this.request<T>('POST', path, { body, ...(headers === undefined ? {} : { headers }) });
  }

  /** A FHIR search: the resources of the searchset (entries without a resource are skipped). */
  async search<T extends Resource>(path: string, headers?: Readonly<Record<string, string>>): Promise<T[]> {
    const bundle = await this.get<Bundle<T>>(path, headers);
    return resourcesOf(bundle);
  }
}

export function resourcesOf<T extends Resource>(bundle: Bundle<T>): T[] {
  return (bundle.entry ?? [])
    .map((entry: BundleEntry<T>) => entry.resource)
    .filter((resource): resource is T => resource !== undefined);
}
