import { useState } from 'react';
import { Badge, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import type { Consent } from '@medplum/fhirtypes';
import { useNavigate } from 'react-router';
import type { EmergencyGrant } from '../../api/types.js';
import { AsyncView, Empty, ErrorNote, useAction, useAsync } from '../../components/async.js';
import { ConsentForm } from '../../components/consent-form.js';
import { loadDirectory } from '../../components/directory.js';
import { focusPageHeading } from '../../components/shell.js';
import { formatDateTime, organizationName, referenceName } from '../../logic/codes.js';
import { buildConsent, describeConsent } from '../../logic/consent.js';
import type { ConsentDraft } from '../../logic/consent.js';
import { useSession } from '../../session.js';
import { emergencyGrantsToShow, loadConsents, loadEmergencyGrants } from './data.js';

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

function EndEmergencyButton({
  grant,
  who,
  onDone,
}: {
  readonly grant: EmergencyGrant;
  readonly who: string;
  readonly onDone: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const { busy, error, run } = useAction();
  const end = (): void => {
    run(
      () => api.post(`/api/emergency-grants/${encodeURIComponent(grant.id)}/revoke`, {}),
      () => {
        setOpen(false);
        onDone();
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
        End emergency access
      </Button>
      <Modal
        opened={open}
        onClose={() => {
          setOpen(false);
        }}
        title="End emergency access?"
        centered
      >
        <Stack>
          <Text>
            {who} will no longer see your records under emergency access. What was already seen stays in your access
            log, and your hospital's privacy officer still reviews it.
          </Text>
          {error !== undefined && <ErrorNote message={error} title="Not ended" />}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                setOpen(false);
              }}
            >
              Keep it
            </Button>
            <Button color="red" loading={busy} onClick={end}>
              End access now
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function EmergencyGrants({
  grants,
  names,
  onChange,
}: {
  readonly grants: readonly EmergencyGrant[];
  readonly names: ReadonlyMap<string, string>;
  readonly onChange: () => void;
}): React.JSX.Element {
  const { inForce, ended } = emergencyGrantsToShow(grants, Date.now());
  const who = (grant: EmergencyGrant): string =>
    `${referenceName(`Practitioner/${grant.clinician.uid}`, names)} (${organizationName(grant.clinician.mspId)})`;
  if (inForce.length === 0 && ended.length === 0) return <Empty>No emergency access in the last seven days.</Empty>;
  return (
    <>
      {inForce.map((grant) => (
        <Card key={grant.id} withBorder bg="red.0" data-testid="active-emergency">
          <Group gap="xs">
            <Badge color="red">Emergency</Badge>
            <Text>
              {who(grant)} since {formatDateTime(grant.startedAt)}, until {formatDateTime(grant.expiresAt)}.
            </Text>
          </Group>
          {grant.reason !== undefined && (
            <Text size="sm" mt="xs">
              Reason given: {grant.reason}
            </Text>
          )}
          <Group justify="space-between" mt="sm">
            <Text size="sm" c="dimmed">
              Your hospital's privacy officer reviews every emergency access.
            </Text>
            <EndEmergencyButton grant={grant} who={who(grant)} onDone={onChange} />
          </Group>
        </Card>
      ))}
      {ended.map((grant) => (
        <Card key={grant.id} withBorder data-testid="ended-emergency">
          <Text c="dimmed">
            {who(grant)} had emergency access from {formatDateTime(grant.startedAt)}
            {grant.endedAt === undefined
              ? ` until ${formatDateTime(grant.expiresAt)}.`
              : `; you ended it at ${formatDateTime(grant.endedAt)}.`}
          </Text>
        </Card>
      ))}
    </>
  );
}

/** "Who can see my data": every active consent and emergency access, in plain language. */
export function SharingPage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(async () => {
    const directory = await loadDirectory(api);
    const [consents, grants] = await Promise.all([loadConsents(api), loadEmergencyGrants(api)]);
    return {
      names: directory.names,
      active: consents.filter((consent) => consent.status === 'active'),
      grants,
    };
  }, [api]);
  return (
    <AsyncView
      state={state}
      label="Loading who can see your data…"
      render={({ names, active, grants }) => (
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
          <EmergencyGrants grants={grants} names={names} onChange={state.reload} />
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
