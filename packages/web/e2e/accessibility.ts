// Accessibility audit for the e2e stories: axe-core (through @axe-core/playwright) against WCAG 2.0 and 2.1, levels
// A and AA, on the page as it stands at that moment of the story.
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { settled } from './harness.js';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface Audit {
  /** Runs axe on the page and fails, listing each violation and its elements, unless there are none. */
  readonly check: (page: Page, state: string) => Promise<void>;
  /** One line: states audited, rules checked, violations, and the elements axe could not decide on. */
  readonly summary: () => string;
}

export function createAudit(): Audit {
  const states: string[] = [];
  const rules = new Set<string>();
  let violations = 0;
  let undecided = 0;
  return {
    check: async (page, state) => {
      await page.waitForLoadState('networkidle');
      await settled(page);
      const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
      states.push(state);
      for (const rule of [...results.passes, ...results.violations, ...results.incomplete]) rules.add(rule.id);
      violations += results.violations.length;
      undecided += results.incomplete.reduce((sum, rule) => sum + rule.nodes.length, 0);
      const found = results.violations.map(
        (rule) =>
          `${rule.id} (${rule.impact ?? 'unknown'}): ${rule.help}\n` +
          rule.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary ?? ''}`).join('\n'),
      );
      assert.equal(found.length, 0, `accessibility violations on "${state}":\n  ${found.join('\n  ')}`);
    },
    summary: () =>
      `accessibility (axe, WCAG 2.0/2.1 A and AA): ${String(states.length)} page states audited, ` +
      `${String(rules.size)} rules checked, ${String(violations)} violations ` +
      `(${String(undecided)} elements axe could not decide, e.g. text over an overlay or inside a chart, not failed)`,
  };
}
