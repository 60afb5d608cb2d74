import { useId } from 'react';
import { BarChart, LineChart } from '@mantine/charts';
import { Card, Table, Text, Title } from '@mantine/core';
import type { ChartData } from '../api/types.js';
import { chartProps, formatNumber } from '../logic/charts.js';
import type { ChartProps } from '../logic/charts.js';

function Plot({ props }: { readonly props: ChartProps }): React.JSX.Element {
  const common = {
    h: 260,
    data: props.data.map((row) => ({ ...row })),
    dataKey: 'x',
    series: props.series.map((s) => ({ ...s })),
    xAxisLabel: props.xLabel,
    yAxisLabel: props.yLabel,
    withLegend: props.series.length > 1,
    valueFormatter: (value: number) => formatNumber(value, props.unitSquare ? 3 : 1),
    // Recharts' keyboard layer makes the drawing a Tab stop, but the drawing is hidden from screen readers (the
    // table is its text alternative): a focusable element inside aria-hidden would be announced as nothing.
    accessibilityLayer: false,
  };
  if (props.kind === 'bar') return <BarChart {...common} />;
  return (
    <LineChart
      {...common}
      curveType="linear"
      connectNulls
      withDots={props.unitSquare}
      {...(props.unitSquare
        ? {
            xAxisProps: { type: 'number' as const, domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
            yAxisProps: { domain: [0, 1] },
          }
        : {})}
    />
  );
}

/**
 * One chart from the server's chart data, with its numbers as a table (the text alternative, under "Show the
 * numbers"). The chart itself is hidden from screen readers, which read the caption and the table.
 */
export function ChartView({ chart }: { readonly chart: ChartData }): React.JSX.Element {
  const props = chartProps(chart);
  const id = useId();
  return (
    <Card withBorder component="figure" m={0} aria-labelledby={id} data-testid="chart">
      <Title order={3} size="h5" id={id} mb="xs">
        {props.title}
        {props.note === undefined ? '' : ` · ${props.note}`}
      </Title>
      <div aria-hidden>
        <Plot props={props} />
      </div>
      <details>
        <summary>
          <Text span size="sm">
            Show the numbers ({props.table.rows.length} rows)
          </Text>
        </summary>
        <Table.ScrollContainer minWidth={300}>
          <Table striped withTableBorder fz="xs">
            <Table.Caption>{props.title}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                {props.table.columns.map((column) => (
                  <Table.Th key={column} scope="col">
                    {column}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {props.table.rows.map((row, r) => (
                <Table.Tr key={r}>
                  {row.map((cell, c) =>
                    c === 0 ? (
                      <Table.Th key={c} scope="row">
                        {cell}
                      </Table.Th>
                    ) : (
                      <Table.Td key={c}>{cell}</Table.Td>
                    ),
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </details>
    </Card>
  );
}
