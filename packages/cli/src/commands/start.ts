import type { AddressInfo } from 'node:net';
import { loadConfig, startServer } from '@medledger/server';
import type { ServerConfig } from '@medledger/server';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';

export interface StartOptions {
  readonly port?: string;
  readonly host?: string;
}

/** loadConfig's environment with the command's overrides: --data-dir, --port, --host. */
export function serverEnv(ctx: Context, options: StartOptions): Record<string, string | undefined> {
  return {
    ...ctx.env,
    ...(ctx.options.dataDir === undefined ? {} : { MEDLEDGER_DATA_DIR: ctx.dataDir() }),
    ...(options.port === undefined ? {} : { PORT: options.port }),
    ...(options.host === undefined ? {} : { HOST: options.host }),
  };
}

/** The server's configuration, or exit 2 with loadConfig's list of problems (as `npm start`). */
export function serverConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  try {
    return loadConfig(env);
  } catch (error: unknown) {
    if (error instanceof Error && (error as { code?: unknown }).code === 'INVALID_ARGUMENT') {
      throw usageError(error.message);
    }
    throw error;
  }
}

/** Runs the server with `config` until SIGINT/SIGTERM (`start`, and `demo --serve`). */
export async function serve(ctx: Context, config: ServerConfig): Promise<undefined> {
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (error: unknown) {
    throw new CliError(EXIT.failure, `could not start: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const address = server.app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  if (ctx.out.json) ctx.out.data({ url, dataDir: config.dataDir, demo: config.demo });
  else ctx.out.note(`Medledger is listening on ${url} (data: ${config.dataDir}). Stop with Ctrl-C.`);
  const signal = await ctx.deps.untilShutdown();
  ctx.out.note(`medledger: ${signal}, stopping`);
  await server.stop();
  return undefined;
}

async function start(ctx: Context, options: StartOptions): Promise<undefined> {
  if (ctx.options.url !== undefined) throw usageError('start runs the server in this process: --url does not apply');
  return serve(ctx, serverConfig(serverEnv(ctx, options)));
}

export const registerStart: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('start')
      .summary('run the server in this process (as npm start)')
      .description('run the server in this process (the same as npm start); configured by the environment (README)')
      .option('--port <port>', 'listen on this port (env PORT; default 8080; 0 picks a free port)')
      .option('--host <address>', 'listen on this address (env HOST; default 127.0.0.1)')
      .action(wrap<StartOptions>((ctx, _args, options) => start(ctx, options))),
    [
      'medledger start',
      'medledger start --data-dir /srv/medledger --port 9090',
      'NODE_ENV=production MEDLEDGER_STORAGE_KEY=$(cat /run/secrets/key) medledger start --host 0.0.0.0',
    ],
  );
};
