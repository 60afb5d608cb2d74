import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateFhirResource } from '../src/fhir/validation.js';
import { emptyStats, preparePatient } from './synthea.js';
const dir = '/work/shared/data/synthea-r4';
const stats = emptyStats();
const fails = new Map<string, number>();
let n = 0;
for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
  const p = preparePatient(JSON.parse(readFileSync(join(dir, f), 'utf8')), f, stats);
  for (const c of p.chunks) for (const e of c) {
    n++;
    try { validateFhirResource(e.resource); } catch (err) { const m = (err as Error).message; fails.set(m, (fails.get(m) ?? 0) + 1); }
  }
}
console.log(JSON.stringify(stats, null, 1), n);
console.log([...fails].slice(0, 30));
