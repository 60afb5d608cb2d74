import { render, screen } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { describe, expect, it } from 'vitest';
import { ChartView } from './chart-view.js';

describe('ChartView', () => {
  it('names the chart with a heading and gives its numbers as a table', () => {
    render(
      <MantineProvider>
        <ChartView
          chart={{
            kind: 'bar',
            title: 'BMI distribution (DP)',
            xLabel: 'BMI kg/m²',
            yLabel: 'patients',
            bars: [
              { label: '18.5–25', value: 40 },
              { label: '25–30', value: 31 },
            ],
          }}
        />
      </MantineProvider>,
    );
    expect(screen.getByRole('heading', { level: 3, name: 'BMI distribution (DP)' })).toBeDefined();
    expect(screen.getByRole('figure', { name: 'BMI distribution (DP)' })).toBeDefined();
    const table = screen.getByRole('table', { hidden: true });
    expect(table.textContent).toContain('25–30');
    expect(table.textContent).toContain('31');
    expect(screen.getByText(/Show the numbers \(2 rows\)/)).toBeDefined();
  });
});
