import { useState } from 'react';
import { Button, Checkbox, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { errorText } from '../../components/async.js';
import { StatusAlert } from '../../components/status.js';
import { RECORD_TYPES } from '../../logic/codes.js';
import { useSession } from '../../session.js';

/** Ask the patient for access, with a reason the patient reads (it stays off the ledger). */
export function RequestAccess({ patientId }: { readonly patientId: string }): React.JSX.Element {
  const { api, me } = useSession();
  const [open, setOpen] = useState(false);
  const [types, setTypes] = useState<string[]>([]);
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<{ readonly ok: boolean; readonly text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const choices =
    me.role === 'insurer'
      ? RECORD_TYPES.filter((t) => ['Coverage', 'Claim', 'Encounter', 'Procedure'].includes(t.type))
      : RECORD_TYPES;
  if (!open)
    return (
      <Button
        variant="light"
        onClick={() => {
          setOpen(true);
        }}
      >
        Request access…
      </Button>
    );
  const send = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    api
      .post('/api/access-requests', {
        patient: `Patient/${patientId}`,
        resourceTypes: types,
        reasonCode: me.role === 'insurer' ? 'claim-processing' : 'continuity-of-care',
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
      })
      .then(
        () => {
          setBusy(false);
          setStatus({ ok: true, text: 'Request sent. The patient will see it in their portal.' });
        },
        (failure: unknown) => {
          setBusy(false);
          setStatus({ ok: false, text: errorText(failure) });
        },
      );
  };
  return (
    <Paper withBorder p="md" miw={280}>
      <form onSubmit={send} aria-label="Request access">
        <Stack gap="sm">
          <Text fw={600}>Request access</Text>
          <Checkbox.Group label="Records you need (none ticked: all)" value={types} onChange={setTypes}>
            <Group mt={4}>
              {choices.map(({ type, label }) => (
                <Checkbox key={type} value={type} label={label} />
              ))}
            </Group>
          </Checkbox.Group>
          <Textarea
            label="Reason (the patient reads this)"
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
            }}
            autosize
            minRows={2}
          />
          <StatusAlert message={status} />
          <Group>
            <Button type="submit" loading={busy}>
              Send request
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
