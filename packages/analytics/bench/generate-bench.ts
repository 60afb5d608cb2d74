// Times the synthetic population generator: N patients (default 10,000) generated and serialised to JSON, as an
// import would. Prints the time, the resource counts and a digest of all bundles (equal digests for equal seeds show
// the output is reproducible). Usage: node --conditions=source --import tsx packages/analytics/bench/generate-bench.ts [N] [seed]
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { generatePopulation } from '../src/index.js';

const count = Number(process.argv[2] ?? 10_000);
const seed = process.argv[3] ?? 'bench';
const digest = createHash('sha256');
const types = new Map<string, number>();
let bytes = 0;
let resources = 0;

const started = process.hrtime.bigint();
for (const bundle of generatePopulation({ seed, count })) {
  const json = JSON.stringify(bundle);
  digest.update(json);
  bytes += Buffer.byteLength(json);
  resources += bundle.entry.length;
  for (const entry of bundle.entry)
    types.set(entry.resource.resourceType, (types.get(entry.resource.resourceType) ?? 0) + 1);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

console.log(
  `generated ${count} patients (${resources} resources, ${(bytes / 1e6).toFixed(1)} MB JSON) in ${seconds.toFixed(2)} s`,
);
console.log(`  ${(count / seconds).toFixed(0)} patients/s, ${(resources / seconds).toFixed(0)} resources/s`);
console.log(`  by type: ${[...types].map(([type, n]) => `${type} ${n}`).join(', ')}`);
console.log(`  sha256 of all bundles (seed "${seed}"): ${digest.digest('hex')}`);
console.log(`  node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
if (count >= 10_000 && seconds > 60) {
  console.error('FAIL: 10,000 patients must take at most 60 s');
  process.exitCode = 1;
}
