import { createColors } from 'picocolors';

type Colors = ReturnType<typeof createColors>;

/** Where the command writes: a terminal, a pipe, or a test's buffer. */
export interface OutputStream {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns?: number;
}

/** Everything the command takes from its process; tests pass their own. */
export interface CliDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** A terminal stream for the import progress bar; undefined when stderr is not a terminal (no bar). */
  readonly progressStream?: NodeJS.WritableStream;
  /** True when a person can answer prompts (stdin is a terminal). */
  readonly interactive: boolean;
  /** Reads standard input to its end (`users add --password-stdin`). */
  readStdin(): Promise<string>;
  /** Asks a question on the terminal; with `hidden` the answer is not echoed (passwords). */
  prompt(question: string, options: { readonly hidden: boolean }): Promise<string>;
  /** Resolves with the signal's name when the process is asked to stop (`start` waits for it). */
  untilShutdown(): Promise<string>;
}

/** Human and machine output for one run: colours only on a terminal, JSON with --json. */
export class Output {
  readonly color: Colors;
  readonly errColor: Colors;

  constructor(
    private readonly deps: CliDeps,
    readonly json: boolean,
  ) {
    const allowed = deps.env.NO_COLOR === undefined || deps.env.NO_COLOR === '';
    this.color = createColors(allowed && deps.stdout.isTTY);
    this.errColor = createColors(allowed && deps.stderr.isTTY);
  }

  /** A line of the command's result (stdout). */
  line(text = ''): void {
    this.deps.stdout.write(`${text}\n`);
  }

  /** The machine-readable result (stdout, --json). */
  data(value: unknown): void {
    this.deps.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Notes and warnings (stderr): they never mix with a result a script reads. */
  note(text: string): void {
    this.deps.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.deps.stderr.write(`${this.errColor.yellow('warning:')} ${text}\n`);
  }

  /** A plain table: a header and left-aligned columns, as wide as their widest cell. */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
    const format = (cells: readonly string[]): string =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    this.line(this.color.bold(format(headers)));
    for (const row of rows) this.line(format(row));
  }
}
