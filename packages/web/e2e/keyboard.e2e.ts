// Keyboard only: alice signs in, grants dr.house access through the grant form and revokes it again using nothing
// but Tab, Shift+Tab, Enter, Space, Escape, the arrow keys and typing. Every stop must show a visible focus
// indicator, and focus must land somewhere sensible after each navigation and after the dialog closes.
// Run: npm run test:e2e (with portals.e2e.ts; shares its harness).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { PASSWORD, inDays, settled, startHarness, story } from './harness.js';
import type { Harness } from './harness.js';

interface Focused {
  readonly role: string;
  readonly name: string;
  /** Inside an open dialog. */
  readonly inDialog: boolean;
  /** An outline, a ring (box-shadow) or the primary-coloured border of a focused input marks it. */
  readonly visible: boolean;
}

/** What has focus, as a screen reader would name it, and whether a sighted keyboard user can see where it is. */
async function focused(page: Page): Promise<Focused> {
  await settled(page);
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!(element instanceof HTMLElement) || element === document.body)
      return { role: 'none', name: '', inDialog: false, visible: false };
    const probe = document.createElement('span');
    probe.style.color = 'var(--mantine-primary-color-filled)';
    document.body.append(probe);
    const primary = getComputedStyle(probe).color;
    probe.remove();
    // A password field's border belongs to its wrapper, which shows the focus of the input inside it.
    const wrapper = element.parentElement?.closest('.mantine-Input-input') ?? null;
    // (No named functions in here: tsx would wrap them in a helper the page does not have.)
    const visible = [element, ...(wrapper === null ? [] : [wrapper])].some((box) => {
      const style = getComputedStyle(box);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      const border = style.borderTopColor === primary || style.borderBottomColor === primary;
      return outline || style.boxShadow !== 'none' || border;
    });
    const labelledBy = element.getAttribute('aria-labelledby');
    const labels = 'labels' in element ? (element as HTMLInputElement).labels : null;
    const name =
      element.getAttribute('aria-label') ??
      (labelledBy === null ? undefined : document.getElementById(labelledBy)?.textContent) ??
      labels?.[0]?.textContent ??
      element.textContent;
    return {
      role: element.getAttribute('role') ?? element.tagName.toLowerCase(),
      name: name.trim(),
      inDialog: element.closest('[role="dialog"]') !== null,
      visible,
    };
  });
}

describe('Keyboard-only grant and revoke in Chromium', { timeout: 5 * 60_000 }, () => {
  let harness: Harness;
  let page: Page;
  const { step, failed } = story();

  /** Presses Tab (or Shift+Tab) until the focused element's name matches; each stop must show its focus. */
  async function tabTo(name: RegExp, backwards = false): Promise<Focused> {
    for (let stops = 0; stops < 40; stops += 1) {
      await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
      const now = await focused(page);
      assert.ok(now.visible, `focus is visible on ${now.role} "${now.name}"`);
      if (name.test(now.name)) return now;
    }
    throw new Error(`Tab never reached ${String(name)}`);
  }

  before(async () => {
    harness = await startHarness();
    ({ page } = harness);
  });

  after(async () => {
    await harness.stop(failed());
  });

  step('signs in with the keyboard: the username field has focus, Enter submits', async () => {
    await page.goto(`${harness.base}/`);
    await page.getByLabel(/^Username/).waitFor();
    assert.match((await focused(page)).name, /^Username/);
    await page.keyboard.type('alice');
    await tabTo(/^Password/);
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'My records' }).waitFor();
  });

  step('reaches the grant form from the skip link and the navigation; focus moves to the page heading', async () => {
    await page.getByText('Hypertension').waitFor();
    await page.keyboard.press('Tab');
    const skip = await focused(page);
    assert.deepEqual([skip.name, skip.visible], ['Skip to content', true], 'the skip link is the first stop');
    await tabTo(/^Share my data$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Share my data' }).waitFor();
    await page.getByRole('combobox', { name: /Who may see it/ }).waitFor();
    const heading = await focused(page);
    assert.deepEqual([heading.role, heading.name], ['h2', 'Share my data']);
  });

  step('completes the grant form with Tab, typing, arrows, Space and Enter', async () => {
    await tabTo(/^Who may see it/);
    await page.keyboard.type('House');
    await page.getByRole('option', { name: /Dr\. Gregory House/ }).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: /Dr\. Gregory House/ }).waitFor({ state: 'hidden' });

    await tabTo(/^Vital signs and lab results$/);
    await page.keyboard.press('Space');
    assert.equal(await page.getByLabel('Vital signs and lab results').isChecked(), true);

    // A radio group is one Tab stop; the arrows move the choice within it.
    const purpose = await tabTo(/^For treatment$/);
    assert.equal(purpose.role, 'input');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByLabel('For treatment').isChecked(), false, 'the arrow moved the choice');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getByLabel('For treatment').isChecked(), true);

    const until = inDays(30);
    const [year, month, day] = until.split('-') as [string, string, string];
    await tabTo(/^Until/);
    // Chromium's date field takes the digits segment by segment in the browser's (en-US) order.
    await page.keyboard.type(`${month}${day}${year}`);
    assert.equal(await page.getByLabel(/^Until/).inputValue(), until);

    const preview = (await page.getByTestId('consent-preview').textContent()) ?? '';
    assert.match(preview, /^Dr\. Gregory House may see your vital signs and lab results for treatment until /);

    await tabTo(/^Save and share$/);
    await page.keyboard.press('Enter');
    await page.getByTestId('active-consent').waitFor();
    const heading = await focused(page);
    assert.deepEqual([heading.role, heading.name], ['h2', 'Who can see my data'], 'focus is on the new page');
  });

  step('the revoke dialog takes focus, Escape gives it back, and after revoking focus is on the page', async () => {
    // The button's accessible name says what it revokes: the visible label first, then whom.
    await tabTo(/^Revoke sharing with Dr\. Gregory House$/);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Stop sharing?' }).waitFor();
    // The dialog takes focus once its opening transition has run: wait for that (bounded), then check where it is.
    await page
      .waitForFunction(() => document.activeElement?.closest('[role="dialog"]') != null, undefined, { timeout: 5000 })
      .catch(() => undefined);
    assert.equal((await focused(page)).inDialog, true, 'focus moved into the dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(
      (await focused(page)).name,
      'Revoke sharing with Dr. Gregory House',
      'focus is back on the button that opened the dialog',
    );

    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Stop sharing?' }).waitFor();
    const confirm = await tabTo(/^Revoke access$/);
    assert.equal(confirm.inDialog, true, 'Tab stays inside the dialog');
    await page.keyboard.press('Enter');
    await page.getByText('You are not sharing your data with anyone.').waitFor();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const after = await focused(page);
    assert.deepEqual([after.role, after.name], ['h2', 'Who can see my data'], 'focus is not lost to the page body');
  });
});
