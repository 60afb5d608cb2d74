import { createTheme } from '@mantine/core';
import type { CSSVariablesResolver } from '@mantine/core';

/** Blue 8/9 on white keeps text and controls above WCAG AA contrast (4.5:1). */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  defaultRadius: 'sm',
  focusRing: 'always',
});

/** Mantine's default "dimmed" grey (gray.6) is 3.3:1 on white; gray.7 keeps secondary text at AA (about 7:1). */
export const cssVariablesResolver: CSSVariablesResolver = (current) => ({
  variables: {},
  light: { '--mantine-color-dimmed': current.colors.gray[7] },
  dark: {},
});
