#!/usr/bin/env node
// Builds the web portals (packages/web → packages/web/dist) when the build is missing or older than its sources.
// Run by `npm install` (prepare) and `npm start`, so a fresh clone shows the UI without a separate step.
// Usage: node scripts/build-web.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('../packages/web/', import.meta.url));
const built = join(web, 'dist', 'index.html');

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((name) =>
  newest(join(web, name)),
);
const stale = !existsSync(built) || Math.max(...sources) > statSync(built).mtimeMs;
if (!process.argv.includes('--force') && !stale) process.exit(0);
if (
  !existsSync(join(web, 'node_modules', '.bin', 'vite')) &&
  !existsSync(new URL('../node_modules/.bin/vite', import.meta.url).pathname)
) {
  console.warn(
    'medledger: the web UI is not built and vite is not installed (npm install without --omit=dev builds it)',
  );
  process.exit(0);
}
console.log('medledger: building the web UI (packages/web)…');
const result = spawnSync('npm', ['run', 'build', '-w', '@medledger/web', '--silent'], {
  cwd: new URL('..', import.meta.url).pathname,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
