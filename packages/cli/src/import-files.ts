import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { usageError } from './errors.js';
import { skip } from './fhir-import.js';
import type { ImportSummary, Json, SourceResource } from './fhir-import.js';

const NDJSON = new Set(['.ndjson', '.jsonl']);
const IN_DIRECTORIES = new Set(['.json', ...NDJSON]);
/** Malformed NDJSON lines reported by line number, per file; the rest are only counted. */
const LINES_REPORTED = 5;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The files to read: the given files, and under each given directory every .json/.ndjson/.jsonl file, sorted. */
export async function inputFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of names) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && IN_DIRECTORIES.has(extname(entry.name).toLowerCase())) files.push(full);
    }
  };
  for (const path of paths) {
    const full = resolve(cwd, path);
    const info = await stat(full).catch(() => undefined);
    if (info === undefined) throw usageError(`no such file or directory: ${path}`);
    if (info.isDirectory()) await walk(full);
    else files.push(full);
  }
  return files;
}

export function isNdjson(file: string): boolean {
  return NDJSON.has(extname(file).toLowerCase());
}

/** The entries of a Bundle, or the resource itself; undefined (and a problem) when it is neither. */
export function resourcesOfJson(value: unknown, file: string, summary: ImportSummary): SourceResource[] | undefined {
  const source = basename(file);
  if (!isObject(value) || typeof value.resourceType !== 'string') {
    summary.problems.push(`${source}: not a FHIR resource or Bundle (no resourceType)`);
    return undefined;
  }
  if (value.resourceType !== 'Bundle') return [{ source, resource: value }];
  const entries: unknown[] = Array.isArray(value.entry) ? (value.entry as unknown[]) : [];
  const resources: SourceResource[] = [];
  for (const entry of entries) {
    if (!isObject(entry) || !isObject(entry.resource)) {
      skip(summary, '(Bundle entry)', 'entry without a resource');
      continue;
    }
    resources.push({
      source,
      ...(typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}),
      resource: entry.resource,
    });
  }
  return resources;
}

/** Parses a JSON file; a malformed one becomes a problem (and undefined). */
export async function readJson(file: string, summary: ImportSummary): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    summary.problems.push(
      `${basename(file)}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
    return undefined;
  }
}

/** The resources of an NDJSON file, one per line; malformed lines are counted, the first few by line number. */
export async function readNdjson(file: string, summary: ImportSummary): Promise<SourceResource[]> {
  const source = basename(file);
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
  const resources: SourceResource[] = [];
  const bad: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      bad.push(i + 1);
      return;
    }
    if (isObject(value) && typeof value.resourceType === 'string' && value.resourceType !== 'Bundle') {
      resources.push({ source, resource: value });
    } else bad.push(i + 1);
  });
  if (bad.length > 0) {
    skip(summary, '(unreadable line)', 'not a FHIR resource in JSON', bad.length);
    const shown = bad.slice(0, LINES_REPORTED).join(', ');
    summary.problems.push(
      `${source}: ${bad.length} line${bad.length === 1 ? '' : 's'} not a FHIR resource in JSON (line ${shown}${bad.length > LINES_REPORTED ? ', …' : ''})`,
    );
  }
  return resources;
}
