/** The command's exit codes (README): scripts branch on them. */
export const EXIT = {
  ok: 0,
  /** A request failed, or a check found a problem (verify, import). */
  failure: 1,
  /** Bad usage or configuration: unknown option, missing argument, invalid value, no credentials. */
  usage: 2,
  /** The server could not be reached (or answered that it is not available). */
  unreachable: 3,
  /** Authentication or authorization refused: wrong password, expired or revoked token, not allowed (401/403). */
  auth: 4,
  /** Cancelled at a prompt (Ctrl-C), as shells report SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: printed as one line (no stack unless --debug) and turned into an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly details: { readonly status?: number; readonly cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}
