import { useState } from 'react';
import {
  Accordion,
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Paper,
  Stack,
  Text,
  Timeline,
  Title,
} from '@mantine/core';
import { AsyncView, Empty, ErrorNote, errorText, useAsync } from '../../components/async.js';
import { loadDirectory } from '../../components/directory.js';
import { formatDate, formatDateTime, organizationName } from '../../logic/codes.js';
import { categoryKey, groupTimeline } from '../../logic/timeline.js';
import type { TimelineItem } from '../../logic/timeline.js';
import { ConfirmAction } from '../../components/confirm-action.js';
import { useSession } from '../../session.js';
import { loadAccessLog, loadMyRecord, patientId, recentEmergencies } from './data.js';

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/fhir+json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 1000);
}

function EmergencyAlerts(): React.JSX.Element | null {
  const { api } = useSession();
  const state = useAsync(async () => {
    const { names } = await loadDirectory(api);
    return recentEmergencies(await loadAccessLog(api, names), Date.now());
  }, [api]);
  if (state.data === undefined || state.data.length === 0) return null;
  return (
    <Alert color="red" title="Emergency access to your records" role="alert" mb="md" data-testid="emergency-alert">
      {state.data.map((entry) => (
        <Text key={entry.id} size="sm">
          {entry.whoName} ({entry.organization}) used emergency access on {formatDateTime(entry.when)}. The hospital's
          privacy officer reviews every emergency access; the details are in your access log.
        </Text>
      ))}
    </Alert>
  );
}

function EraseButton({
  item,
  onErased,
}: {
  readonly item: TimelineItem;
  readonly onErased: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  return (
    <ConfirmAction
      label="Erase…"
      about={item.title}
      variant="subtle"
      title={`Erase “${item.title}”?`}
      explanation="This permanently destroys this record: its encryption key and stored copy are deleted, and nobody — not you, not your doctors — can read it again. The fact that it was erased stays in the audit trail."
      failedTitle="Not erased"
      keepLabel="Keep it"
      confirmLabel="Erase permanently"
      action={() => api.request('DELETE', `/fhir/${item.type}/${item.id}`)}
      onDone={onErased}
    />
  );
}

export function RecordsPage(): React.JSX.Element {
  const { api, me } = useSession();
  const state = useAsync(() => loadMyRecord(api, me), [api, me]);
  const [downloading, setDownloading] = useState<string | undefined>(undefined);
  const id = patientId(me);

  const downloadAll = (): void => {
    setDownloading('');
    api.get<unknown>(`/fhir/Patient/${id}/$everything?_count=200`).then(
      (bundle) => {
        download('my-health-record.json', JSON.stringify(bundle, null, 2));
        setDownloading(undefined);
      },
      (failure: unknown) => {
        setDownloading(errorText(failure));
      },
    );
  };

  return (
    <Stack>
      <EmergencyAlerts />
      <Paper withBorder p="md">
        <Group justify="space-between" wrap="wrap">
          <div>
            <Text size="sm" c="dimmed">
              Your Medledger ID (give it to a clinician you share with)
            </Text>
            <Group gap="xs">
              <Code data-testid="my-patient-id">{id}</Code>
              <CopyButton value={id}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="subtle" onClick={copy}>
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </div>
          <Button variant="light" onClick={downloadAll} loading={downloading === ''}>
            Download my record (FHIR JSON)
          </Button>
        </Group>
        {downloading !== undefined && downloading !== '' && <ErrorNote message={downloading} title="Download failed" />}
      </Paper>
      <Title order={3}>Timeline</Title>
      <AsyncView
        state={state}
        label="Loading your records…"
        render={(resources) => {
          const groups = groupTimeline(resources);
          if (groups.length === 0) return <Empty>You have no records yet.</Empty>;
          return (
            <Accordion
              key={groups.map((g) => g.category).join('|')}
              multiple
              defaultValue={groups.map((g) => categoryKey(g.category))}
              variant="separated"
            >
              {groups.map((group) => (
                <Accordion.Item key={group.category} value={categoryKey(group.category)}>
                  <Accordion.Control>
                    {group.category}{' '}
                    <Badge variant="light" ml="xs">
                      {group.items.length}
                    </Badge>
                  </Accordion.Control>
                  <Accordion.Panel>
                    <Timeline bulletSize={14} lineWidth={2}>
                      {group.items.map((item) => (
                        <Timeline.Item key={item.key} title={item.title}>
                          <Text size="sm">
                            {item.detail}{' '}
                            {item.sensitive && (
                              <Badge color="grape" size="xs">
                                sensitive
                              </Badge>
                            )}
                          </Text>
                          <Group gap="xs" justify="space-between">
                            <Text size="xs" c="dimmed">
                              {formatDate(item.date)}
                              {item.custodian === undefined ? '' : ` · ${organizationName(item.custodian)}`}
                            </Text>
                            <EraseButton item={item} onErased={state.reload} />
                          </Group>
                        </Timeline.Item>
                      ))}
                    </Timeline>
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          );
        }}
      />
    </Stack>
  );
}
