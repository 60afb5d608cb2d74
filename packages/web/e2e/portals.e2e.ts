// End-to-end: a real Medledger server (embedded ledger, demo accounts, empty data directory) and Debian's Chromium
// driven by playwright-core. Follows alice and dr.house through grant, revoke, break-glass, review and verify, and
// saves a screenshot of each portal's main page to docs/screenshots/; audits accessibility (axe) at the key states.
// Run: npm run test:e2e (installs chromium with apt-get when /usr/bin/chromium is missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createAudit } from './accessibility.js';
import {
  PASSWORD,
  ROOT,
  inDays,
  nav as navTo,
  signIn as signInAs,
  signOut as signOutOf,
  startHarness,
  story,
} from './harness.js';
import type { Harness } from './harness.js';

const SHOTS = join(ROOT, 'docs', 'screenshots');
type Json = Record<string, unknown>;

/**
 * How many synthetic HospitalA patients opt in to research, so that the research step trains a model: it needs at
 * least 20 training and 10 held-out complete cases (adults with every predictor), with both outcomes in each part.
 */
const RESEARCH_COHORT = 44;

/**
 * The patients' FHIR transaction Bundles, from the analytics package's seeded generator (the one `medledger demo`
 * imports). It runs in a child process: the web package itself talks to Medledger over HTTP only.
 */
function syntheticBundles(count: number): Json[] {
  const script =
    "const { generatePatientBundle } = require('@medledger/analytics');" +
    `process.stdout.write(JSON.stringify(Array.from({ length: ${String(count)} }, ` +
    "(_, i) => generatePatientBundle({ seed: 'medledger-demo' }, i))));";
  const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Json[];
}

/** LOINC codes of the model's predictors: BMI, glucose, HbA1c, the blood-pressure panel, smoking status. */
const PREDICTOR_CODES: ReadonlySet<string> = new Set(['39156-5', '2339-0', '4548-4', '85354-9', '72166-2']);

type Entry = Json & { resource: Json };

function loincOf(resource: Json): string {
  const coding = (resource.code as { coding?: Array<{ code?: string }> } | undefined)?.coding;
  return coding?.[0]?.code ?? '';
}

/**
 * Keeps only what the risk model reads — the Patient, their Conditions and the latest Observation of each predictor —
 * so that each study query over the cohort releases a few hundred records, not thousands (and imports as fast).
 * Encounters are left out, so the kept resources' links to them go too.
 */
function modelInputs(bundle: Json): Json {
  const entries = bundle.entry as Entry[];
  const latest = new Map<string, Entry>();
  for (const entry of entries) {
    const code = loincOf(entry.resource);
    const current = latest.get(code);
    const when = (e: Entry): string =>
      typeof e.resource.effectiveDateTime === 'string' ? e.resource.effectiveDateTime : '';
    if (entry.resource.resourceType === 'Observation' && PREDICTOR_CODES.has(code)) {
      if (current === undefined || when(current) < when(entry)) latest.set(code, entry);
    }
  }
  const kept = entries.filter(
    (entry) =>
      entry.resource.resourceType === 'Patient' ||
      entry.resource.resourceType === 'Condition' ||
      latest.get(loincOf(entry.resource)) === entry,
  );
  return {
    ...bundle,
    entry: kept.map((entry) => {
      const { encounter: _encounter, ...resource } = entry.resource;
      return { ...entry, resource };
    }),
  };
}

/** A research opt-in (FHIR-CONVENTIONS §1.1 form): ResearchMSP may use the patient's data for HRESCH. */
function researchConsent(patient: string): Json {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: patient },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'deny',
      provision: [
        {
          type: 'permit',
          actor: [
            {
              role: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
              },
              reference: { reference: 'Organization/ResearchMSP' },
            },
          ],
          action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'use' }] }],
          purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH' }],
        },
      ],
    },
  };
}

/**
 * Imports the research cohort over the API as HospitalA would (dr.grey posts each Bundle, admin.hospa gives the patient
 * a login) and has each patient opt in to research with their own login.
 */
async function seedResearchCohort(base: string): Promise<void> {
  const token = async (username: string): Promise<string> => {
    const response = await fetch(`${base}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return (JSON.parse(text) as { access_token: string }).access_token;
  };
  const send = async (bearer: string, path: string, body: Json): Promise<Json> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${path}: ${String(response.status)} ${text}`);
    return JSON.parse(text) as Json;
  };
  const started = Date.now();
  const [clinician, admin] = [await token('dr.grey'), await token('admin.hospa')];
  const importOne = async (bundle: Json, index: number): Promise<void> => {
    const created = await send(clinician, '/fhir', modelInputs(bundle));
    const locations = (created.entry as Array<{ response: { location: string } }>).map((e) => e.response.location);
    const patient = locations.find((location) => location.startsWith('Patient/'))?.replace(/\/_history\/.*$/, '');
    assert.ok(patient !== undefined, 'the transaction created a Patient');
    const username = `cohort.${String(index)}`;
    await send(admin, '/api/admin/users', { username, role: 'patient', patient, password: PASSWORD });
    await send(await token(username), '/fhir/Consent', researchConsent(patient));
  };
  // A few at a time: the ledger commits concurrent transactions in the same blocks.
  const bundles = syntheticBundles(RESEARCH_COHORT);
  for (let start = 0; start < bundles.length; start += 4) {
    await Promise.all(bundles.slice(start, start + 4).map((bundle, i) => importOne(bundle, start + i)));
  }
  console.log(`# research cohort: ${String(bundles.length)} patients imported in ${String(Date.now() - started)} ms`);
}

const { step, failed } = story();

describe('Medledger web portals in Chromium', { timeout: 15 * 60_000 }, () => {
  let harness: Harness;
  let base = '';
  let context: BrowserContext;
  let page: Page;
  /** dr.house's page while he holds emergency access to alice's chart (the countdown lives in that page). */
  let house: Page | undefined;
  let alicePatientId = '';
  const audit = createAudit();
  /** The research cohort's import, started in the background once the steps it could disturb are done. */
  let cohort: Promise<Error | undefined> | undefined;

  async function signIn(username: string, on: Page = page): Promise<void> {
    await signInAs(on, base, username);
  }

  async function signOut(): Promise<void> {
    await signOutOf(page);
  }

  async function nav(label: string): Promise<void> {
    await navTo(page, label);
  }

  /** The axe audit of the page as it stands (see accessibility.ts). */
  async function a11y(state: string, on: Page = page): Promise<void> {
    await audit.check(on, state);
  }

  async function shot(name: string, fullPage = false): Promise<void> {
    await page.waitForLoadState('networkidle');
    // A full-page shot of a scrolled page would draw the fixed header halfway down.
    await page.evaluate(() => {
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  }

  async function noPhiLeaks(): Promise<void> {
    const title = await page.title();
    assert.doesNotMatch(title, /alice|anders|bob|baker|pt-/i, `page title "${title}"`);
    assert.doesNotMatch(page.url(), /pt-|alice|anders/i, `URL ${page.url()}`);
    const stored = await page.evaluate(() => ({
      local: window.localStorage.length,
      session: window.sessionStorage.length,
      cookies: document.cookie,
    }));
    assert.deepEqual(stored, { local: 0, session: 0, cookies: '' }, 'nothing kept in browser storage');
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    harness = await startHarness();
    ({ base, context, page } = harness);
  });

  after(async () => {
    console.log(`# ${audit.summary()}`);
    await harness.stop(failed());
  });

  step('refuses a wrong password with a clear message', async () => {
    await page.goto(`${base}/patient/sharing`);
    await page.getByLabel(/^Username/).fill('alice');
    await page.getByLabel(/^Password/).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong username or password.').waitFor();
    assert.match(page.url(), /\/login$/);
    await a11y('login page with an error');
  });

  step('shows alice her records timeline and her Medledger ID, with no PHI in the title, URL or storage', async () => {
    await signIn('alice');
    await page.getByRole('heading', { level: 2, name: 'My records' }).waitFor();
    await page.getByText('Heart rate').waitFor();
    await page.getByText('Hypertension').waitFor();
    alicePatientId = (await page.getByTestId('my-patient-id').textContent()) ?? '';
    assert.match(alicePatientId, /^pt-/);
    await noPhiLeaks();
    await a11y('patient: my records');
    await shot('patient');
  });

  step('alice grants dr.house her vital signs and labs, after reading the preview in words', async () => {
    await nav('Share my data');
    await page.getByRole('combobox', { name: /Who may see it/ }).fill('House');
    await page.getByRole('option', { name: /Dr\. Gregory House/ }).click();
    await page.getByLabel('Vital signs and lab results').check();
    assert.equal(await page.getByLabel('Mental health').isChecked(), false, 'sensitive categories start unticked');
    await page.getByLabel(/^Until/).fill(inDays(30));
    const preview = (await page.getByTestId('consent-preview').textContent()) ?? '';
    assert.match(preview, /^Dr\. Gregory House may see your vital signs and lab results for treatment until /);
    assert.match(preview, /Sensitive information .* stays hidden\./);
    await a11y('patient: grant form with its preview');
    await page.getByRole('button', { name: 'Save and share' }).click();
    await page.getByRole('heading', { level: 2, name: 'Who can see my data' }).waitFor();
    const card = page.getByTestId('active-consent');
    await card.waitFor();
    assert.match((await card.textContent()) ?? '', /Dr\. Gregory House may see your vital signs and lab results/);
    await a11y('patient: who can see my data');
    await signOut();
  });

  step('dr.house sees exactly what alice shared, and "not shared with you" for the rest', async () => {
    await signIn('dr.house');
    // Her consent names him: she is on his list without a search, by her Medledger ID only.
    const listed = page.getByRole('row', { name: /shared with you/ });
    await listed.waitFor();
    assert.equal(await listed.count(), 1, 'only the patient who shared with him');
    assert.match((await listed.textContent()) ?? '', new RegExp(alicePatientId));
    await listed.getByRole('button', { name: /Open chart of/ }).click();
    await page.getByRole('heading', { level: 3, name: /Alice Anders/ }).waitFor();
    const records = page.getByTestId('chart-record');
    await records.first().waitFor();
    assert.equal(await records.count(), 1);
    assert.match((await records.first().textContent()) ?? '', /Heart rate.*72/);
    assert.equal(await page.getByText('Hypertension').count(), 0, 'the Condition is not shown');
    assert.match((await page.getByTestId('not-shared-types').textContent()) ?? '', /Not shared with you.*conditions/);
    await a11y('clinician: chart with "not shared" sections');
    await noPhiLeaks();
    await shot('clinician');
    await signOut();
  });

  step('alice revokes; dr.house then sees "not shared with you"', async () => {
    await signIn('alice');
    await nav('Who can see my data');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Stop sharing?' }).waitFor();
    await a11y('patient: revoke dialog');
    await page.getByRole('button', { name: 'Revoke access' }).click();
    await page.getByText('You are not sharing your data with anyone.').waitFor();
    await signOut();

    await signIn('dr.house');
    await page.getByText('Search by name to list your patients.').waitFor();
    assert.equal(await page.getByRole('row', { name: /shared with you/ }).count(), 0, 'no longer listed');
    await page.getByLabel(/^Medledger ID/).fill(alicePatientId);
    await page.getByRole('button', { name: 'Open chart', exact: true }).click();
    const notShared = page.getByTestId('not-shared');
    await notShared.waitFor();
    assert.match((await notShared.textContent()) ?? '', /Not shared with you/);
    assert.equal(await page.getByTestId('chart-record').count(), 0);
    await a11y('clinician: chart not shared at all');
  });

  step('dr.house breaks the glass with a reason and sees the chart with a countdown', async () => {
    await page.getByRole('button', { name: /Emergency access \(break the glass\)/ }).click();
    const start = page.getByRole('button', { name: 'Start emergency access' });
    assert.equal(await start.isDisabled(), true, 'a reason is mandatory');
    await page.getByLabel(/^Reason/).fill('Unconscious in the emergency department, no relatives reachable');
    await a11y('clinician: break-glass dialog');
    await start.click();
    const countdown = page.getByTestId('emergency-countdown');
    await countdown.waitFor();
    assert.match((await countdown.textContent()) ?? '', /Emergency access: \d+:\d\d:\d\d left/);
    await page.getByText('Hypertension').waitFor();
    await page.getByText('Heart rate').waitFor();
    // dr.house stays signed in on this page with his countdown; the story goes on in a new page.
    house = page;
    page = await context.newPage();
  });

  step('alice sees the emergency alert and the highlighted entry in her access log', async () => {
    await signIn('alice');
    const alert = page.getByTestId('emergency-alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /Dr\. Gregory House \(Hospital B\) used emergency access/);
    await a11y('patient: emergency alert');
    await nav('Access log');
    const entry = page.getByTestId('log-emergency').filter({ hasText: 'used emergency access (break-glass)' });
    await entry.first().waitFor();
    assert.match((await entry.first().textContent()) ?? '', /Dr\. Gregory House/);
    await a11y('patient: access log');
    await page.getByLabel('Emergency access only').check({ force: true });
    assert.equal(await page.getByTestId('log-entry').count(), 0, 'the filter leaves only emergency access');
    await signOut();
  });

  step('alice ends dr.house\'s emergency access; his next emergency read shows "not shared"', async () => {
    await signIn('alice');
    await nav('Who can see my data');
    const grant = page.getByTestId('active-emergency');
    await grant.waitFor();
    assert.match((await grant.textContent()) ?? '', /Dr\. Gregory House \(Hospital B\) since .*Unconscious/);
    await grant.getByRole('button', { name: 'End emergency access' }).click();
    await page.getByRole('button', { name: 'End access now' }).click();
    const ended = page.getByTestId('ended-emergency');
    await ended.waitFor();
    assert.match((await ended.textContent()) ?? '', /Dr\. Gregory House .*; you ended it at/);
    assert.equal(await page.getByTestId('active-emergency').count(), 0);
    await signOut();

    assert.ok(house !== undefined, 'dr.house broke the glass in the step before');
    // Reopening the chart reads with ETREAT again (his page still counts the grant down): refused, so the page says
    // the emergency access has ended and stops the countdown.
    await house.getByRole('button', { name: '← All patients' }).click();
    await house.getByLabel(/^Medledger ID/).fill(alicePatientId);
    await house.getByRole('button', { name: 'Open chart', exact: true }).click();
    await house.getByTestId('emergency-ended').waitFor();
    await house.getByTestId('not-shared').waitFor();
    assert.equal(await house.getByTestId('emergency-countdown').count(), 0, 'the countdown is gone');
    assert.equal(await house.getByTestId('chart-record').count(), 0);
    await a11y('clinician: emergency access ended', house);
    await house.close();
    house = undefined;
  });

  step("po.hospa (alice's hospital) sees the emergency access in the audit log and reviews it", async () => {
    await signIn('po.hospa');
    await page.getByRole('heading', { level: 2, name: 'Emergency access reviews' }).waitFor();
    const item = page.getByTestId('review-item');
    await item.waitFor();
    assert.match((await item.textContent()) ?? '', /Unconscious in the emergency department/);
    assert.match((await item.textContent()) ?? '', /ended early by the patient/, 'ended early, still reviewed');
    await a11y('privacy officer: review queue');
    await shot('privacy-officer');
    await nav('Audit log');
    await page.getByTestId('audit-emergency').first().waitFor();
    assert.match((await page.getByTestId('audit-emergency').first().textContent()) ?? '', /Dr\. Gregory House/);
    await a11y('privacy officer: audit log');
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const lines = readFileSync(await csv.path(), 'utf8')
      .trim()
      .split('\r\n');
    assert.equal(lines[0], 'recorded,who,organisation,role,event,purpose,outcome,emergency,records,patient');
    assert.ok(lines.some((line) => line.includes('break-glass-start') && line.includes('Practitioner/dr.house')));
    await nav('Emergency access reviews');
    await page.getByTestId('review-item').waitFor();
    await page.getByLabel('Justified', { exact: true }).check({ force: true });
    await page.getByLabel('Note').fill('Checked against the ED admission record');
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.getByText('No emergency access is waiting for review.').waitFor();
    await signOut();

    // Dr. House's own organisation does not review its own clinician's break-glass.
    await signIn('po.hospb');
    await page.getByText('No emergency access is waiting for review.').waitFor();
    await signOut();
  });

  step('an administrator runs Verify and sees the integrity result', async () => {
    await signIn('admin.hospa');
    await page.getByRole('heading', { level: 2, name: 'Network' }).waitFor();
    await page.getByTestId('block-height').waitFor();
    await page.getByRole('button', { name: 'Verify' }).click();
    const result = page.getByTestId('verify-result');
    await result.waitFor({ timeout: 120_000 });
    assert.match((await result.textContent()) ?? '', /Integrity verified.*blocks/);
    const rows = page.getByTestId('block-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 10, 'the ten latest blocks, each linked to the previous one');
    await a11y('admin: network view');
    await shot('admin');
  });

  step('a revoked account is sent back to the login page with "session expired"', async () => {
    await nav('Users');
    await page.getByLabel(/^Username/).fill('nurse.e2e');
    await page.getByLabel(/^Full name/).fill('Nurse Eve');
    await page.getByLabel(/^Initial password/).fill('a-long-enough-password-1');
    await page.getByRole('button', { name: 'Add and enroll' }).click();
    await page.getByText('nurse.e2e was added').waitFor();
    await a11y('admin: users');

    const nurse = await context.newPage();
    await nurse.goto(`${base}/`);
    await nurse.getByLabel(/^Username/).fill('nurse.e2e');
    await nurse.getByLabel(/^Password/).fill('a-long-enough-password-1');
    await nurse.getByRole('button', { name: 'Sign in' }).click();
    await nurse.getByRole('heading', { level: 2, name: 'Patients' }).waitFor();

    await page.getByRole('button', { name: 'Revoke identity of nurse.e2e' }).click();
    await page.getByRole('button', { name: 'Confirm revoking nurse.e2e' }).click();
    await page.getByRole('row', { name: /nurse\.e2e.*revoked/ }).waitFor();

    await nurse.getByRole('link', { name: 'My access requests' }).click();
    await nurse.getByText('Your session has expired. Please sign in again.').waitFor();
    await nurse.close();
    await signOut();
  });

  step('dr.house asks for access; alice sees the badge and approves it, narrower; he then lists her', async () => {
    // Settled to its error (or undefined), so that a failure is reported by the research step and nowhere else.
    cohort = seedResearchCohort(base).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error('the research cohort import failed')),
    );
    await signIn('dr.house');
    await page.getByLabel(/^Medledger ID/).fill(alicePatientId);
    await page.getByRole('button', { name: 'Open chart', exact: true }).click();
    await page.getByRole('button', { name: 'Request access…' }).click();
    await page.getByLabel('Vital signs and lab results').check();
    await page.getByLabel('Conditions and diagnoses').check();
    await page.getByLabel(/^Reason/).fill('Cardiology referral from Hospital B');
    await a11y('clinician: request access dialog');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByText('Request sent.').waitFor();
    await signOut();

    await signIn('alice');
    const badge = page.getByRole('link', { name: /Access requests/ }).getByText('1', { exact: true });
    await badge.waitFor();
    await nav('Access requests');
    const request = page.getByTestId('pending-request');
    await a11y('patient: access requests');
    assert.match((await request.textContent()) ?? '', /Dr\. Gregory House \(Hospital B\) asks to see your records/);
    await request.getByLabel('Conditions and diagnoses').uncheck();
    await request.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No one is waiting for an answer.').waitFor();
    await nav('Who can see my data');
    const card = page.getByTestId('active-consent');
    await card.waitFor();
    assert.match((await card.textContent()) ?? '', /Dr\. Gregory House may see your vital signs and lab results for/);
    assert.doesNotMatch((await card.textContent()) ?? '', /conditions/);
    await signOut();

    await signIn('dr.house');
    const row = page.getByRole('row', { name: /approved your request/ });
    await row.waitFor();
    await row.getByRole('button', { name: /Open chart of/ }).click();
    await page.getByTestId('chart-record').first().waitFor();
    assert.equal(await page.getByText('Hypertension').count(), 0, 'the narrower approval leaves conditions out');
    await signOut();
  });

  step('alice downloads her record as a FHIR Bundle and erases a record after confirming', async () => {
    await signIn('alice');
    await page.getByText('Heart rate').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download my record (FHIR JSON)' }).click(),
    ]);
    const saved = await download.path();
    const bundle = JSON.parse(readFileSync(saved, 'utf8')) as {
      resourceType: string;
      entry: Array<{ resource: { resourceType: string } }>;
    };
    assert.equal(bundle.resourceType, 'Bundle');
    assert.deepEqual(bundle.entry.map((e) => e.resource.resourceType).sort(), ['Condition', 'Observation', 'Patient']);
    assert.equal(download.suggestedFilename(), 'my-health-record.json');

    const heartRate = page.getByRole('listitem').filter({ hasText: 'Heart rate' });
    // The button's accessible name names the record it erases: "Erase Heart rate …".
    await page.getByRole('button', { name: /^Erase Heart rate/ }).click();
    await page.getByText(/permanently destroys this record/).waitFor();
    await a11y('patient: erase dialog');
    await page.getByRole('button', { name: 'Erase permanently' }).click();
    await page.getByText('Hypertension').waitFor();
    await page.getByText('Heart rate', { exact: true }).waitFor({ state: 'detached' });
    assert.equal(await heartRate.count(), 0);
    await signOut();
  });

  step("dr.grey (alice's hospital) adds a vital sign and a document with an uploaded file to her chart", async () => {
    await signIn('dr.grey');
    // Nobody is listed until searched for: listing a patient is an audited access.
    await page.getByText('Search by name to list your patients.').waitFor();
    await page.getByLabel(/^Find our patients by name/).fill('Anders');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.getByRole('row', { name: /Alice Anders/ });
    await row.waitFor();
    await row.getByRole('button', { name: /Open chart of/ }).click();
    await page.getByRole('heading', { level: 3, name: /Alice Anders/ }).waitFor();
    await page.getByRole('button', { name: 'Add a record…' }).click();
    await page.getByLabel(/^What/).fill('Systolic blood pressure');
    await page.getByLabel(/^LOINC code/).fill('8480-6');
    await page.getByLabel(/^Value/).fill('128');
    await page.getByLabel(/^Unit/).fill('mm[Hg]');
    await page.getByRole('button', { name: 'Save record' }).click();
    await page.getByText(/Saved, encrypted/).waitFor();
    await page.getByTestId('chart-record').filter({ hasText: 'Systolic blood pressure' }).waitFor();

    await page.getByRole('combobox', { name: 'Kind' }).click();
    await page.getByRole('option', { name: /Note or document/ }).click();
    await page.getByLabel(/^What/).fill('Referral letter');
    await page.locator('input[type=file]').setInputFiles({
      name: 'referral.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Please see this patient for cardiology follow-up.'),
    });
    await page.getByRole('button', { name: 'Save record' }).click();
    await page.getByTestId('chart-record').filter({ hasText: 'Referral letter' }).waitFor();
    await signOut();
  });

  step('shows the insurer portal', async () => {
    await signIn('claims.ivy');
    await page.getByRole('heading', { level: 2, name: 'Members' }).waitFor();
    await a11y('insurer: members');
    await shot('insurer');
    await signOut();
  });

  /** Proposes a study or programme in the open portal and returns its id. */
  async function propose(protocol: string, button: string): Promise<string> {
    await page.getByLabel(/^Protocol/).fill(protocol);
    await page.getByLabel(/^Epsilon budget/).fill('2');
    await page.getByRole('button', { name: button }).click();
    const status = page.getByText(/^Proposed st-/);
    await status.waitFor();
    const id = /st-[\w-]+/.exec((await status.textContent()) ?? '')?.[0];
    assert.ok(id !== undefined, 'the proposal names its study id');
    return id;
  }

  async function approveAsEthics(id: string): Promise<void> {
    await signIn('irb.ines');
    await page.getByRole('heading', { level: 2, name: 'Study decisions' }).waitFor();
    await a11y('ethics: study decisions');
    assert.match(page.url(), /\/ethics$/);
    await page.getByRole('button', { name: `Approve ${id}` }).click();
    await page.getByRole('button', { name: `Approve ${id}` }).waitFor({ state: 'detached' });
    await page
      .getByRole('row', { name: new RegExp(id) })
      .getByText('approved')
      .waitFor();
    await signOut();
  }

  async function drawCharts(epsilon: string): Promise<void> {
    await page.getByLabel(/^Epsilon for this request/).fill(epsilon);
    await page.getByRole('button', { name: 'Draw charts' }).click();
    // The charts, or the error the page shows instead (so that a refusal fails with its message, not a timeout).
    const drawn = page.getByRole('heading', { level: 3, name: /Age distribution \(DP\)/ });
    await drawn.or(page.getByRole('alert')).first().waitFor();
    if (!(await drawn.isVisible()))
      assert.fail(`no charts: ${(await page.getByRole('alert').first().textContent()) ?? ''}`);
    assert.equal(await page.getByTestId('chart').count(), 3);
    // The chart is drawn (recharts SVG) and its numbers are there as a table for screen readers.
    assert.ok((await page.locator('.recharts-surface').count()) >= 3, 'the charts are drawn');
    await page
      .getByRole('figure', { name: /BMI distribution/ })
      .getByText(/Show the numbers/)
      .click();
    await page
      .getByRole('figure', { name: /BMI distribution/ })
      .getByRole('table')
      .waitFor();
  }

  let studyId = '';
  step('res.rosa proposes a study; it waits for the ethics board', async () => {
    await signIn('res.rosa');
    await page.getByRole('heading', { level: 2, name: 'Studies' }).waitFor();
    await a11y('research: studies');
    studyId = await propose('T2D risk, observational, de-identified (e2e)', 'Propose study');
    await page
      .getByRole('row', { name: new RegExp(studyId) })
      .getByText('awaiting ethics')
      .waitFor();
    await noPhiLeaks();
    await signOut();
  });

  step('irb.ines approves it in the ethics portal', async () => {
    await approveAsEthics(studyId);
    // A reload of /ethics gets the web UI (then the login page: the token lived only in memory), not a FHIR 404.
    const reload = await fetch(`${base}/ethics`);
    assert.equal(reload.status, 200);
    assert.match(reload.headers.get('content-type') ?? '', /text\/html/);
  });

  step('res.rosa sees DP charts and the cohort size, is told when the budget runs out, exports, trains', async () => {
    const seeding = Date.now();
    const failure = await (cohort ?? seedResearchCohort(base).then(() => undefined));
    if (failure !== undefined) throw failure;
    console.log(`# research cohort: waited ${String(Date.now() - seeding)} ms for its import`);
    await signIn('res.rosa');
    await page.getByRole('button', { name: `Open ${studyId}` }).click();
    await page.getByRole('heading', { level: 3, name: `Study ${studyId}` }).waitFor();
    await drawCharts('0.6');
    await page.getByTestId('budget').getByText('ε 1.4 of 2 left').waitFor();
    await page.getByRole('button', { name: 'Cohort size' }).click();
    await page.getByTestId('cohort-size').waitFor();
    await page.getByTestId('budget').getByText('ε 0.8 of 2 left').waitFor();
    await page.getByLabel(/^Epsilon for this request/).fill('5');
    await page.getByRole('button', { name: 'Draw charts' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Privacy budget exhausted' })
      .getByText(/0\.8 of 2/)
      .waitFor();
    await page.getByTestId('budget').getByText('ε 0.8 of 2 left').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download export' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${studyId}-deidentified.csv`);
    await page
      .getByTestId('export-report')
      .getByText(/k = 5 on/)
      .waitFor();

    // The synthetic cohort opted in to research (alice and bob did not): the model trains on it.
    await page.getByRole('button', { name: 'Train model' }).click();
    const model = page.getByText(/Held-out AUC/);
    await model.waitFor();
    const auc = Number(/Held-out AUC\s*([\d.]+)/.exec((await model.textContent()) ?? '')?.[1]);
    assert.ok(auc >= 0.5 && auc <= 1, `a held-out AUC is shown: ${String(auc)}`);
    await page.getByLabel(/^Epsilon for this request/).fill('0.6');
    await page.getByRole('button', { name: 'Draw charts' }).click();
    await page.getByRole('alert').filter({ hasText: 'Privacy budget exhausted' }).waitFor({ state: 'detached' });
    await page.getByTestId('budget').getByText('ε 0.2 of 2 left').waitFor();
    await a11y('research: study with DP charts');
    await noPhiLeaks();
    await shot('research', true);
    await signOut();
  });

  step('ph.olive proposes a surveillance programme; once approved she sees DP charts, never rows', async () => {
    await signIn('ph.olive');
    await page.getByRole('heading', { level: 2, name: 'Surveillance programmes' }).waitFor();
    await a11y('public health: programmes');
    const programme = await propose('Diabetes surveillance, Massachusetts (e2e)', 'Propose surveillance programme');
    await signOut();
    await approveAsEthics(programme);
    await signIn('ph.olive');
    await page.getByRole('button', { name: `Open ${programme}` }).click();
    await page.getByRole('heading', { level: 3, name: `Programme ${programme}` }).waitFor();
    await drawCharts('1.2');
    assert.equal(await page.getByRole('button', { name: 'Download export' }).count(), 0, 'no rows for public health');
    assert.equal(await page.getByRole('button', { name: 'Train model' }).count(), 0);
    await a11y('public health: programme with DP charts');
    await noPhiLeaks();
    await shot('public-health', true);
    await signOut();
  });

  step('fits a phone-width screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await signIn('alice');
    await page.getByText('Hypertension').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${String(overflow)}px wider than the screen`);
    await shot('patient-phone');
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await page.getByRole('link', { name: 'Access log' }).waitFor();
    await a11y('patient: phone width, navigation open');
    await page.getByRole('link', { name: 'Access log' }).click();
    await page.getByRole('heading', { level: 2, name: 'Access log' }).waitFor();
  });
});
