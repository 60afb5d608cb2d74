import { useMemo, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Paper,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { GRANTABLE_PURPOSES, PURPOSES, RECORD_TYPES, SENSITIVE_LABELS } from '../logic/codes.js';
import { EMPTY_DRAFT, describeDraft, draftProblems } from '../logic/consent.js';
import type { ConsentDraft } from '../logic/consent.js';
import type { DirectoryEntry } from './directory.js';
import { errorText } from './async.js';

export interface ConsentFormProps {
  readonly directory: readonly DirectoryEntry[];
  /** `YYYY-MM-DD`: the earliest allowed last day. */
  readonly today: string;
  readonly onSave: (draft: ConsentDraft) => Promise<void>;
}

/**
 * The grant form: who, what (sensitive categories off by default), why and until when, with a preview in words that
 * the patient reads before saving.
 */
export function ConsentForm({ directory, today, onSave }: ConsentFormProps): React.JSX.Element {
  const [draft, setDraft] = useState<ConsentDraft>(EMPTY_DRAFT);
  const [tried, setTried] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const problems = draftProblems(draft, today);
  const preview = describeDraft(draft);
  const options = useMemo(
    () =>
      (['People', 'Everyone in a role', 'Organisations'] as const).map((group) => ({
        group,
        items: directory.filter((entry) => entry.group === group).map(({ value, label }) => ({ value, label })),
      })),
    [directory],
  );
  const update = (patch: Partial<ConsentDraft>): void => {
    setDraft((current) => ({ ...current, ...patch }));
  };

  const submit = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setTried(true);
    if (problems.length > 0) return;
    setSaving(true);
    setError(undefined);
    onSave(draft).then(
      () => {
        setSaving(false);
        setDraft(EMPTY_DRAFT);
        setTried(false);
      },
      (failure: unknown) => {
        setSaving(false);
        setError(errorText(failure));
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label="Share my data" noValidate>
      <Stack gap="md">
        <Select
          label="Who may see it"
          description="Search for a clinician, a group or an organisation"
          placeholder="Type a name"
          searchable
          data={options}
          value={draft.actor ?? null}
          onChange={(value) => {
            update({
              actor: value ?? undefined,
              actorName: directory.find((entry) => entry.value === value)?.name,
            });
          }}
          nothingFoundMessage="Nobody by that name"
          required
        />
        <Checkbox.Group
          label="What they may see"
          value={[...draft.resourceTypes]}
          onChange={(value) => {
            update({ resourceTypes: value });
          }}
          required
        >
          <SimpleGrid cols={{ base: 1, xs: 2 }} mt="xs">
            {RECORD_TYPES.map(({ type, label }) => (
              <Checkbox key={type} value={type} label={label} />
            ))}
          </SimpleGrid>
        </Checkbox.Group>
        <Checkbox.Group
          label="Sensitive information"
          description="Hidden unless you tick it here"
          value={[...draft.sensitive]}
          onChange={(value) => {
            update({ sensitive: value });
          }}
        >
          <SimpleGrid cols={{ base: 1, xs: 2 }} mt="xs">
            {SENSITIVE_LABELS.map(({ code, label }) => (
              <Checkbox key={code} value={code} label={label} />
            ))}
          </SimpleGrid>
        </Checkbox.Group>
        <Radio.Group
          label="Why"
          value={draft.purpose}
          onChange={(value) => {
            update({ purpose: value });
          }}
          required
        >
          <Group mt="xs">
            {GRANTABLE_PURPOSES.map((code) => (
              <Radio key={code} value={code} label={`For ${PURPOSES[code] ?? code}`} />
            ))}
          </Group>
        </Radio.Group>
        <TextInput
          type="date"
          label="Until (last day of access)"
          min={today}
          value={draft.until ?? ''}
          onChange={(event) => {
            update({ until: event.currentTarget.value === '' ? undefined : event.currentTarget.value });
          }}
          required
          maw={240}
        />
        <Paper withBorder p="md" bg="gray.0" aria-live="polite">
          <Text fw={600} size="sm">
            In words
          </Text>
          <Text data-testid="consent-preview">{preview.sentence}</Text>
        </Paper>
        {tried && problems.length > 0 && (
          <Alert color="red" title="Before saving" role="alert">
            <ul style={{ margin: 0, paddingInlineStart: '1.2em' }}>
              {problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </Alert>
        )}
        {error !== undefined && (
          <Alert color="red" title="Not saved" role="alert">
            {error}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={saving}>
            Save and share
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
