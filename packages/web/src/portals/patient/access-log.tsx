import { useState } from 'react';
import { Badge, Group, SimpleGrid, Switch, Text, TextInput, Timeline, VisuallyHidden } from '@mantine/core';
import { AsyncView, Empty, useAsync } from '../../components/async.js';
import { loadDirectory } from '../../components/directory.js';
import { formatDateTime } from '../../logic/codes.js';
import { filterAccessLog } from '../../logic/timeline.js';
import type { AccessLogEntry, AccessLogFilter } from '../../logic/timeline.js';
import { useSession } from '../../session.js';
import { loadAccessLog, recentEmergencies } from './data.js';

const OUTCOME_COLOURS: Readonly<Record<AccessLogEntry['outcome'], string>> = {
  permitted: 'green',
  'partly withheld': 'yellow',
  refused: 'gray',
  failed: 'orange',
};

export function AccessLogFilters({
  filter,
  onChange,
}: {
  readonly filter: AccessLogFilter;
  readonly onChange: (filter: AccessLogFilter) => void;
}): React.JSX.Element {
  return (
    <SimpleGrid cols={{ base: 1, sm: 4 }} mb="md">
      <TextInput
        label="Who"
        placeholder="Name"
        value={filter.who ?? ''}
        onChange={(e) => {
          onChange({ ...filter, who: e.currentTarget.value });
        }}
      />
      <TextInput
        type="date"
        label="From"
        value={filter.from ?? ''}
        onChange={(e) => {
          onChange({ ...filter, from: e.currentTarget.value });
        }}
      />
      <TextInput
        type="date"
        label="To"
        value={filter.to ?? ''}
        onChange={(e) => {
          onChange({ ...filter, to: e.currentTarget.value });
        }}
      />
      <Switch
        mt={{ sm: 28 }}
        label="Emergency access only"
        checked={filter.emergencyOnly ?? false}
        onChange={(e) => {
          onChange({ ...filter, emergencyOnly: e.currentTarget.checked });
        }}
      />
    </SimpleGrid>
  );
}

/** Every access to the patient's data, permitted or refused; emergency access stands out. */
export function AccessLogPage(): React.JSX.Element {
  const { api } = useSession();
  const [filter, setFilter] = useState<AccessLogFilter>({});
  const state = useAsync(async () => loadAccessLog(api, (await loadDirectory(api)).names), [api]);
  return (
    <>
      <AccessLogFilters filter={filter} onChange={setFilter} />
      <AsyncView
        state={state}
        label="Loading your access log…"
        render={(entries) => {
          const shown = filterAccessLog(entries, filter);
          if (shown.length === 0) return <Empty>Nothing in the log matches.</Empty>;
          return (
            // A list, so that the label is read and the entries are counted (a plain div's label is not).
            <Timeline bulletSize={16} lineWidth={2} role="list" aria-label="Access log">
              {shown.map((entry) => (
                <Timeline.Item
                  key={entry.id}
                  role="listitem"
                  color={entry.emergency ? 'red' : OUTCOME_COLOURS[entry.outcome]}
                  title={
                    <Group gap="xs">
                      <Text fw={600}>
                        {entry.whoName} {entry.what}
                      </Text>
                      {entry.emergency && <Badge color="red">Emergency access</Badge>}
                      <Badge variant="light" color={OUTCOME_COLOURS[entry.outcome]}>
                        {entry.outcome}
                      </Badge>
                    </Group>
                  }
                  data-testid={entry.emergency ? 'log-emergency' : 'log-entry'}
                >
                  <Text size="sm" c="dimmed">
                    {formatDateTime(entry.when)} · {entry.organization} · for {entry.purpose}
                    {entry.records > 0 ? ` · ${entry.records} record${entry.records === 1 ? '' : 's'}` : ''}
                  </Text>
                </Timeline.Item>
              ))}
            </Timeline>
          );
        }}
      />
    </>
  );
}

export function EmergencyBadge(): React.JSX.Element | null {
  const { api } = useSession();
  const state = useAsync(async () => loadAccessLog(api, new Map()), [api]);
  const count = recentEmergencies(state.data ?? [], Date.now()).length;
  if (count === 0) return null;
  return (
    <Badge color="red" size="sm" circle>
      <span>{count}</span>
      {/* aria-label on the badge would name a generic element, which screen readers need not read. */}
      <VisuallyHidden> emergency</VisuallyHidden>
    </Badge>
  );
}
