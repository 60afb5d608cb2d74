#!/usr/bin/env node
// Assembles build/chaincode: a self-contained folder a Fabric peer (or an operator, for chaincode-as-a-service)
// can install with `npm install --omit=dev` and run with `fabric-chaincode-node server`. The contract is compiled by
// tsc (decorator metadata needs it); @medledger/core is vendored as a file dependency, so the folder needs nothing
// from this monorepo. Then the contract metadata is generated from the folder, which proves the decorators and
// their parameter types survived compilation.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const coreDir = join(packageDir, '..', 'core');
const out = join(packageDir, 'build', 'chaincode');
const own = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const core = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(packageDir, 'dist'), join(out, 'dist'), {
  recursive: true,
  filter: (src) => !src.endsWith('.tsbuildinfo'),
});
cpSync(join(coreDir, 'dist'), join(out, 'vendor', 'core', 'dist'), {
  recursive: true,
  filter: (src) => !src.endsWith('.tsbuildinfo'),
});
writeFileSync(
  join(out, 'vendor', 'core', 'package.json'),
  JSON.stringify({ name: core.name, version: core.version, main: 'dist/index.js', types: 'dist/index.d.ts' }, null, 2),
);
writeFileSync(
  join(out, 'package.json'),
  JSON.stringify(
    {
      name: 'medledger-chaincode',
      version: own.version,
      description: own.description,
      license: own.license,
      main: 'dist/index.js',
      engines: { node: '>=18' },
      scripts: {
        start: 'fabric-chaincode-node start',
        server:
          'fabric-chaincode-node server --chaincode-address=$CHAINCODE_SERVER_ADDRESS --chaincode-id=$CHAINCODE_ID',
      },
      dependencies: {
        '@medledger/core': 'file:vendor/core',
        'fabric-contract-api': own.dependencies['fabric-contract-api'],
        'fabric-shim': own.dependencies['fabric-shim'],
      },
    },
    null,
    2,
  ),
);

const cli = join(packageDir, '..', '..', 'node_modules', '.bin', 'fabric-chaincode-node');
const metadataFile = join(packageDir, 'build', 'contract-metadata.json');
execFileSync(cli, ['metadata', 'generate', '--module-path', out, '--file', metadataFile.replace(/\.json$/, '')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const metadata = JSON.parse(readFileSync(metadataFile, 'utf8'));
const transactions = metadata.contracts.medledger.transactions;
const untyped = transactions.filter((tx) => (tx.parameters ?? []).some((p) => p.schema?.type !== 'string'));
if (transactions.length < 20 || untyped.length > 0) {
  console.error('contract metadata is incomplete: decorator metadata was not emitted', { untyped });
  process.exit(1);
}
console.log(`chaincode package: ${out} (${transactions.length} transactions)`);
