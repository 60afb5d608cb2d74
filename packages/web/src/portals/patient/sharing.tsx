import { useState } from 'react';
import { Badge, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import type { Consent } from '@medplum/fhirtypes';
import { useNavigate } from 'react-router';
import { AsyncView, Empty, ErrorNote, useAction, useAsync } from '../../components/async.js';
import { ConsentForm } from '../../components/consent-form.js';
import { loadDirectory } from '../../components/directory.js';
import { focusPageHeading } from '../../components/shell.js';
import { formatDateTime } from '../../logic/codes.js';
import { buildConsent, describeConsent } from '../../logic/consent.js';
import type { ConsentDraft } from '../../logic/consent.js';
import { useSession } from '../../session.js';
import { loadAccessLog, loadConsents, recentEmergencies } from './data.js';

function RevokeButton({
  consent,
  onDone,
}: {
  readonly consent: Consent;
  readonly onDone: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  // Once revoked, this button goes away with its grant: focus goes to the page heading, not back to the button.
  const [revoked, setRevoked] = useState(false);
  const { busy, error, run } = useAction();
  const revoke = (): void => {
    run(
      () => api.request('DELETE', `/fhir/Consent/${consent.id ?? ''}`),
      () => {
        setRevoked(true);
        setOpen(false);
        onDone();
        focusPageHeading();
      },
    );
  };
  return (
    <>
      <Button
        color="red"
        variant="light"
        size="xs"
        onClick={() => {
          setOpen(true);
        }}
      >
        Revoke
      </Button>
      <Modal
        opened={open}
        onClose={() => {
          setOpen(false);
        }}
        title="Stop sharing?"
        centered
        returnFocus={!revoked}
      >
        <Stack>
          <Text>From now on they will no longer see these records. What they already saw is in your access log.</Text>
          {error !== undefined && <ErrorNote message={error} title="Not revoked" />}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                setOpen(false);
              }}
            >
              Keep sharing
            </Button>
            <Button color="red" loading={busy} onClick={revoke}>
              Revoke access
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** "Who can see my data": every active consent and recent emergency access, in plain language. */
export function SharingPage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(async () => {
    const directory = await loadDirectory(api);
    const [consents, log] = await Promise.all([loadConsents(api), loadAccessLog(api, directory.names)]);
    return {
      names: directory.names,
      active: consents.filter((consent) => consent.status === 'active'),
      emergencies: recentEmergencies(log, Date.now()),
    };
  }, [api]);
  return (
    <AsyncView
      state={state}
      label="Loading who can see your data…"
      render={({ names, active, emergencies }) => (
        <Stack>
          <Text>
            Your hospital's own clinicians can see the records they hold to treat you. Everyone else sees only what you
            share here.
          </Text>
          {active.length === 0 && <Empty>You are not sharing your data with anyone.</Empty>}
          {active.map((consent) => (
            <Card key={consent.id} withBorder data-testid="active-consent">
              {describeConsent(consent, names).map((grant) => (
                <Text key={grant.sentence}>{grant.sentence}</Text>
              ))}
              <Group justify="flex-end" mt="sm">
                <RevokeButton consent={consent} onDone={state.reload} />
              </Group>
            </Card>
          ))}
          <Title order={3}>Emergency access</Title>
          {emergencies.length === 0 ? (
            <Empty>No emergency access in the last seven days.</Empty>
          ) : (
            emergencies.map((entry) => (
              <Card key={entry.id} withBorder bg="red.0">
                <Group gap="xs">
                  <Badge color="red">Emergency</Badge>
                  <Text>
                    {entry.whoName} ({entry.organization}) since {formatDateTime(entry.when)}.
                  </Text>
                </Group>
                <Text size="sm" c="dimmed" mt="xs">
                  Emergency access ends by itself after a few hours and cannot be revoked here; the hospital's privacy
                  officer reviews it.
                </Text>
              </Card>
            ))
          )}
        </Stack>
      )}
    />
  );
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function SharePage(): React.JSX.Element {
  const { api, me } = useSession();
  const navigate = useNavigate();
  const state = useAsync(() => loadDirectory(api), [api]);
  const save = async (draft: ConsentDraft): Promise<void> => {
    await api.post('/fhir/Consent', buildConsent(draft, me.patient ?? ''));
    void navigate('/patient/sharing');
  };
  return (
    <AsyncView
      state={state}
      label="Loading the directory…"
      render={(directory) => <ConsentForm directory={directory.entries} today={today()} onSave={save} />}
    />
  );
}
