import type { Command } from 'commander';
import { Context } from './context.js';
import type { GlobalOptions } from './context.js';
import type { ExitCode } from './errors.js';
import type { CliDeps } from './io.js';

/** What a command's handler gets: the run's context, its positional arguments and its own options. */
export type Handler<O> = (ctx: Context, args: readonly string[], options: O) => Promise<ExitCode | undefined>;

/** Turns a handler into a commander action; the run's exit code is what the handler returned (0 by default). */
export type Wrap = <O>(handler: Handler<O>) => (...args: unknown[]) => Promise<void>;

/** Adds one command (and its subcommands) to the program. */
export type CommandRegistration = (program: Command, wrap: Wrap) => void;

export function createWrap(
  deps: CliDeps,
  setExitCode: (code: ExitCode) => void,
  onContext: (ctx: Context) => void,
): Wrap {
  return <O>(handler: Handler<O>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const positional = args.slice(0, -2).flatMap((arg) => (Array.isArray(arg) ? (arg as string[]) : [arg as string]));
      const ctx = new Context(deps, command.optsWithGlobals<GlobalOptions>());
      onContext(ctx);
      setExitCode((await handler(ctx, positional, command.opts<O & Record<string, unknown>>())) ?? 0);
    };
}

/** Appends an "Examples" section to a command's --help. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

/** Splits `a,b` (and repeated flags) into a list, dropping blanks. */
export function list(value: string, previous: readonly string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  ];
}
