import { useState } from 'react';
import {
  Button,
  FileInput,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { errorText } from '../../components/async.js';
import { StatusAlert } from '../../components/status.js';
import { RECORD_KINDS, buildRecord, recordProblems } from '../../logic/records.js';
import type { RecordFields, RecordKind } from '../../logic/records.js';
import { useSession } from '../../session.js';

const MAX_FILE_BYTES = 2 * 1024 * 1024;

function readFile(file: File): Promise<NonNullable<RecordFields['attachment']>> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = typeof reader.result === 'string' ? reader.result : '';
      resolve({
        contentType: file.type || 'application/octet-stream',
        data: url.slice(url.indexOf(',') + 1),
        title: file.name,
      });
    };
    reader.onerror = () => {
      reject(new Error('The file could not be read.'));
    };
    reader.readAsDataURL(file);
  });
}

type FormState = typeof EMPTY;

async function fieldsOf(form: FormState, value: number | undefined, file: File | null): Promise<RecordFields> {
  if (file !== null && file.size > MAX_FILE_BYTES) throw new Error('The file is larger than 2 MB.');
  const observation = form.kind === 'vital' || form.kind === 'lab';
  const fields: RecordFields = {
    kind: form.kind,
    text: form.text,
    code: form.code,
    date: form.date,
    ...(observation && value !== undefined ? { value } : {}),
    ...(form.unit === '' ? {} : { unit: form.unit }),
    ...(form.note === '' ? {} : { note: form.note }),
    ...(file === null ? {} : { attachment: await readFile(file) }),
  };
  const problems = recordProblems(fields);
  if (problems.length > 0) throw new Error(problems.join(' '));
  return fields;
}

const EMPTY = {
  kind: 'vital' as RecordKind,
  text: '',
  code: '',
  unit: '',
  note: '',
  date: new Date().toISOString().slice(0, 10),
};

export function AddRecord({
  patientId,
  onAdded,
  organization,
}: {
  readonly patientId: string;
  readonly onAdded: () => void;
  readonly organization: string;
}): React.JSX.Element {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState(EMPTY);
  const [value, setValue] = useState<number | undefined>(undefined);
  const [file, setFile] = useState<File | null>(null);
  const [message, setMessage] = useState<{ readonly ok: boolean; readonly text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <Button
        variant="default"
        onClick={() => {
          setOpen(true);
        }}
      >
        Add a record…
      </Button>
    );
  const observation = form.kind === 'vital' || form.kind === 'lab';
  const submit = async (): Promise<void> => {
    const resource = buildRecord(await fieldsOf(form, value, file), `Patient/${patientId}`);
    await api.post(`/fhir/${resource.resourceType}`, resource);
  };
  const send = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    submit().then(
      () => {
        setBusy(false);
        setForm(EMPTY);
        setValue(undefined);
        setFile(null);
        setMessage({ ok: true, text: `Saved, encrypted, in ${organization}'s vault and registered on the ledger.` });
        onAdded();
      },
      (failure: unknown) => {
        setBusy(false);
        setMessage({ ok: false, text: errorText(failure) });
      },
    );
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={send} aria-label="Add a record">
        <Stack gap="sm">
          <Text fw={600}>Add a record</Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Kind"
              data={RECORD_KINDS.map(({ value: v, label }) => ({ value: v, label }))}
              value={form.kind}
              onChange={(v) => {
                setForm({ ...form, kind: v ?? 'vital' });
              }}
              allowDeselect={false}
            />
            <TextInput
              label="What"
              required
              value={form.text}
              onChange={(e) => {
                setForm({ ...form, text: e.currentTarget.value });
              }}
            />
            <TextInput
              label={observation ? 'LOINC code (optional)' : 'Code (optional)'}
              value={form.code}
              onChange={(e) => {
                setForm({ ...form, code: e.currentTarget.value });
              }}
            />
            <TextInput
              type="date"
              label="Date"
              required
              value={form.date}
              onChange={(e) => {
                setForm({ ...form, date: e.currentTarget.value });
              }}
            />
            {observation && (
              <>
                <NumberInput
                  label="Value"
                  value={value ?? ''}
                  onChange={(v) => {
                    setValue(typeof v === 'number' ? v : undefined);
                  }}
                />
                <TextInput
                  label="Unit"
                  value={form.unit}
                  onChange={(e) => {
                    setForm({ ...form, unit: e.currentTarget.value });
                  }}
                />
              </>
            )}
          </SimpleGrid>
          {(form.kind === 'document' || form.kind === 'medication') && (
            <Textarea
              label={form.kind === 'document' ? 'Note' : 'Dosage'}
              value={form.note}
              onChange={(e) => {
                setForm({ ...form, note: e.currentTarget.value });
              }}
              autosize
              minRows={2}
            />
          )}
          {form.kind === 'document' && (
            <FileInput label="File (up to 2 MB)" value={file} onChange={setFile} clearable />
          )}
          <StatusAlert message={message} />
          <Group>
            <Button type="submit" loading={busy}>
              Save record
            </Button>
            <Button
              variant="default"
              onClick={() => {
                setOpen(false);
              }}
            >
              Close
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
