import { DEFAULT_THEME, isLightColor, mergeMantineTheme } from '@mantine/core';
import { describe, expect, it } from 'vitest';
import { contrast, cssVariablesResolver, theme } from './theme.js';

const merged = mergeMantineTheme(DEFAULT_THEME, theme);
const light = cssVariablesResolver(merged).light;
const white = DEFAULT_THEME.white;
const black = DEFAULT_THEME.black;

describe('theme colours reach WCAG AA contrast (4.5:1)', () => {
  it('measures contrast as WCAG does', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it.each(Object.keys(merged.colors))(
    'writes %s filled badges and buttons in black or white text that reads',
    (name) => {
      const filled = merged.colors[name]?.[8] ?? '';
      const text = isLightColor(filled, merged.luminanceThreshold) ? black : white;
      expect(contrast(text, filled)).toBeGreaterThanOrEqual(4.5);
    },
  );

  it.each(Object.keys(merged.colors))(
    'writes the %s light variant in text that reads on it, hovered or not',
    (name) => {
      const text = light[`--mantine-color-${name}-light-color`] ?? '';
      const shades = merged.colors[name];
      expect(contrast(text, shades?.[1] ?? '')).toBeGreaterThanOrEqual(4.5);
      expect(contrast(text, shades?.[2] ?? '')).toBeGreaterThanOrEqual(4.5);
    },
  );

  it('keeps dimmed text readable on white and on the grey panels', () => {
    const dimmed = light['--mantine-color-dimmed'] ?? '';
    expect(contrast(dimmed, white)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(dimmed, merged.colors.gray[1])).toBeGreaterThanOrEqual(4.5);
  });
});
