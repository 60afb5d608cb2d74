import { Modal, createTheme, darken, luminance } from '@mantine/core';
import type { CSSVariablesResolver, MantineColorsTuple } from '@mantine/core';

/** WCAG 2 AA contrast for normal-size text. */
const AA = 4.5;

/** The WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** `text`, darkened only as far as needed to reach AA on `background`. */
function readableOn(text: string, background: string): string {
  for (let amount = 0; amount < 1; amount += 0.05) {
    const candidate = darken(text, amount);
    if (contrast(candidate, background) >= AA) return candidate;
  }
  return '#000';
}

/** Blue 8/9 on white keeps text and controls above WCAG AA contrast (4.5:1). */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  defaultRadius: 'sm',
  focusRing: 'always',
  // White text reaches 4.5:1 only on colours whose luminance is at most 0.183 (blue.8, red.8); on lighter filled
  // colours (green.8, yellow.8, orange.8) black text does, at 4.6:1 or more.
  autoContrast: true,
  luminanceThreshold: 0.183,
  components: {
    // Mantine's close button is an icon only: without a label screen readers announce a nameless button.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});

/**
 * Mantine's default "dimmed" grey (gray.6) is 3.3:1 on white; gray.7 keeps secondary text at AA (about 7:1).
 * The "light" variant (badges, alerts, the active navigation link) writes shade 9 on shade 1, or on shade 2 when
 * hovered: only 2.7:1 for yellow and 3.8:1 for green, so its text is darkened until it reaches AA on shade 2.
 */
export const cssVariablesResolver: CSSVariablesResolver = (current) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': current.colors.gray[7],
    ...Object.fromEntries(
      Object.entries(current.colors).map(([name, shades]: [string, MantineColorsTuple]) => [
        `--mantine-color-${name}-light-color`,
        readableOn(shades[9], shades[2]),
      ]),
    ),
  },
  dark: {},
});
