import { useState } from 'react';
import { Alert, Button, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import type { EmergencyGrant } from '../../api/types.js';
import { errorText } from '../../components/async.js';
import { useSession } from '../../session.js';

const REASONS = [
  { value: 'unconscious-patient', label: 'Patient unconscious or unable to consent' },
  { value: 'life-threatening', label: 'Life-threatening emergency' },
  { value: 'other', label: 'Other emergency' },
];

/** Break-glass: a mandatory reason, then time-boxed emergency access that the patient and privacy officer see. */
export function BreakGlass({
  patientId,
  onGranted,
}: {
  readonly patientId: string;
  readonly onGranted: (until: number) => void;
}): React.JSX.Element {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const [code, setCode] = useState<string>('unconscious-patient');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const tooShort = reason.trim().length < 5;
  const confirm = (): void => {
    setBusy(true);
    setError(undefined);
    api
      .post<EmergencyGrant>('/api/break-glass', {
        patient: `Patient/${patientId}`,
        reason: reason.trim(),
        reasonCode: code,
      })
      .then(
        (grant) => {
          setBusy(false);
          setOpen(false);
          onGranted(Date.parse(grant.expiresAt));
        },
        (failure: unknown) => {
          setBusy(false);
          setError(errorText(failure));
        },
      );
  };
  return (
    <>
      <Button
        color="red"
        variant="outline"
        onClick={() => {
          setOpen(true);
        }}
      >
        Emergency access (break the glass)…
      </Button>
      <Modal
        opened={open}
        onClose={() => {
          setOpen(false);
        }}
        title="Emergency access"
        centered
      >
        <Stack>
          <Text size="sm">
            Emergency access overrides the patient's choices for a few hours. The patient is told at once, and your
            organisation's privacy officer reviews every use. Give the reason in full.
          </Text>
          <Select
            label="Kind of emergency"
            data={REASONS}
            value={code}
            onChange={(v) => {
              setCode(v ?? 'other');
            }}
            allowDeselect={false}
          />
          <Textarea
            label="Reason"
            required
            autosize
            minRows={3}
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
            }}
            error={reason !== '' && tooShort ? 'At least 5 characters' : undefined}
          />
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                setOpen(false);
              }}
            >
              Cancel
            </Button>
            <Button color="red" onClick={confirm} disabled={tooShort} loading={busy}>
              Start emergency access
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
