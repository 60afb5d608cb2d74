import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config.js';
import { DEMO_PASSWORD, provisionDemo } from '../demo.js';
import { createApp } from '../http/app.js';
import { Medledger } from '../medledger.js';
import type { Logger } from '../medledger.js';

export const PUBLIC_URL = 'http://medledger.test';

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: Record<string, unknown> & { entry?: Array<{ resource: Record<string, unknown> }> };
  readonly text: string;
}

/** Records what the server logs, so tests can assert alerts (and that no PHI is logged). */
export class MemoryLog implements Logger {
  readonly lines: Array<{ level: string; details: object; message: string }> = [];
  info(details: object, message: string): void {
    this.lines.push({ level: 'info', details, message });
  }
  warn(details: object, message: string): void {
    this.lines.push({ level: 'warn', details, message });
  }
  error(details: object, message: string): void {
    this.lines.push({ level: 'error', details, message });
  }
}

/**
 * A real Medledger (embedded ledger, SQLite vaults, the HTTP app) on a temporary data directory, driven through
 * Fastify's inject: everything but the TCP socket. Key derivations are cheap (unsafeFastKdf) to keep tests fast.
 */
export class TestServer {
  private tokens = new Map<string, string>();

  private constructor(
    readonly dataDir: string,
    readonly medledger: Medledger,
    readonly app: FastifyInstance,
    readonly log: MemoryLog,
    private readonly ownsDir: boolean,
  ) {}

  static async start(options: { dataDir?: string; env?: Record<string, string> } = {}): Promise<TestServer> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'medledger-server-'));
    const config = loadConfig({
      MEDLEDGER_DATA_DIR: dataDir,
      MEDLEDGER_PUBLIC_URL: PUBLIC_URL,
      MEDLEDGER_TOKEN_RATE_LIMIT: '1000',
      ...options.env,
    });
    const log = new MemoryLog();
    const medledger = await Medledger.open(config, { log, unsafeFastKdf: true });
    await provisionDemo(medledger);
    const app = await createApp(medledger);
    return new TestServer(dataDir, medledger, app, log, options.dataDir === undefined);
  }

  async token(username: string, scope?: string): Promise<string> {
    const key = `${username} ${scope ?? ''}`;
    const cached = this.tokens.get(key);
    if (cached !== undefined) return cached;
    const response = await this.app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: new URLSearchParams({
        grant_type: 'password',
        username,
        password: DEMO_PASSWORD,
        ...(scope ? { scope } : {}),
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (response.statusCode !== 200) throw new Error(`login ${username} failed: ${response.body}`);
    const token = (JSON.parse(response.body) as { access_token: string }).access_token;
    this.tokens.set(key, token);
    return token;
  }

  async as(
    username: string | undefined,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(username === undefined ? {} : { authorization: `Bearer ${await this.token(username)}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: Response['body'] = {};
    try {
      parsed = JSON.parse(response.body) as Response['body'];
    } catch {
      // not JSON: the test sees the text
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, text: response.body };
  }

  patientId(username: string): string {
    const id = this.medledger.accounts.get(username)?.patientId;
    if (id === undefined) throw new Error(`${username} is not a patient`);
    return id;
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.app.close();
    await this.medledger.close();
    if (this.ownsDir && options.keepData !== true) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Alice's consent in FHIR-CONVENTIONS §1.1 (a) form: HospitalB clinicians, Observations, TREAT, until `end`. */
export function observationGrant(patientId: string, end: string): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient consent' }] }],
    patient: { reference: `Patient/${patientId}` },
    dateTime: '2026-11-25T10:00:00Z',
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">Alice shares vitals with Hospital B</div>',
    },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'deny',
      provision: [
        {
          type: 'permit',
          period: { end },
          actor: [
            {
              role: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
              },
              reference: { reference: 'Group/HospitalBMSP-clinician' },
            },
          ],
          action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }],
          purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
          class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }],
        },
      ],
    },
  };
}
