#!/usr/bin/env node
// The `medledger` command. In this repository (src/ present) it runs the TypeScript sources with tsx and the "source"
// export condition, exactly as `npm start` does, so no build is needed; an installed package runs dist/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
// The workspace's tsconfig (decorators for the contract), wherever the command is run from.
const tsconfig = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));

if (existsSync(source)) {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: existsSync(tsconfig) ? { TSX_TSCONFIG_PATH: tsconfig, ...process.env } : process.env,
  });
  // Ctrl-C reaches the child through the terminal; SIGTERM from a supervisor is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
  });
} else {
  await import(built);
}
