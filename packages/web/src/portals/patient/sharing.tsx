import { Badge, Card, Group, Stack, Text, Title } from '@mantine/core';
import type { Consent } from '@medplum/fhirtypes';
import { useNavigate } from 'react-router';
import type { EmergencyGrant } from '../../api/types.js';
import { AsyncView, Empty, useAsync } from '../../components/async.js';
import { ConsentForm } from '../../components/consent-form.js';
import { loadDirectory } from '../../components/directory.js';
import { formatDateTime, listInWords, organizationName, referenceName } from '../../logic/codes.js';
import { buildConsent, describeConsent } from '../../logic/consent.js';
import type { ConsentDraft } from '../../logic/consent.js';
import { ConfirmAction } from '../../components/confirm-action.js';
import { useSession } from '../../session.js';
import { emergencyGrantsToShow, endEmergencyGrant, loadConsents, loadEmergencyGrants } from './data.js';

function RevokeButton({
  consent,
  who,
  onDone,
}: {
  readonly consent: Consent;
  /** Whom the consent shares with, in words. */
  readonly who: string;
  readonly onDone: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  return (
    <ConfirmAction
      label="Revoke"
      about={`sharing with ${who}`}
      title="Stop sharing?"
      explanation="From now on they will no longer see these records. What they already saw is in your access log."
      failedTitle="Not revoked"
      keepLabel="Keep sharing"
      confirmLabel="Revoke access"
      action={() => api.request('DELETE', `/fhir/Consent/${consent.id ?? ''}`)}
      onDone={onDone}
    />
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
  return (
    <ConfirmAction
      label="End emergency access"
      about={`of ${who}`}
      title="End emergency access?"
      explanation={`${who} will no longer see your records under emergency access. What was already seen stays in your access log, and your hospital's privacy officer still reviews it.`}
      failedTitle="Not ended"
      keepLabel="Keep it"
      confirmLabel="End access now"
      action={() => endEmergencyGrant(api, grant.id)}
      onDone={onDone}
    />
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
                <RevokeButton
                  consent={consent}
                  who={listInWords(describeConsent(consent, names).map((grant) => grant.who))}
                  onDone={state.reload}
                />
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
