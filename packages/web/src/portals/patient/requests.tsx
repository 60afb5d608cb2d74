import { useState } from 'react';
import { Badge, Button, Card, Checkbox, Group, Stack, Text, VisuallyHidden } from '@mantine/core';
import { AsyncView, Empty, ErrorNote, useAction, useAsync } from '../../components/async.js';
import { loadDirectory } from '../../components/directory.js';
import type { AccessRequest } from '../../api/types.js';
import {
  formatDate,
  formatDateTime,
  listInWords,
  organizationName,
  purposeName,
  recordTypeName,
  referenceName,
} from '../../logic/codes.js';
import { useSession } from '../../session.js';
import { loadRequests } from './data.js';

function requesterName(request: AccessRequest, names: ReadonlyMap<string, string>): string {
  const { role, uid, mspId } = request.requester;
  const who = role === 'clinician' ? referenceName(`Practitioner/${uid}`, names) : organizationName(mspId);
  return `${who} (${organizationName(mspId)})`;
}

function PendingRequest({
  request,
  names,
  onDone,
}: {
  readonly request: AccessRequest;
  readonly names: ReadonlyMap<string, string>;
  readonly onDone: () => void;
}): React.JSX.Element {
  const { api } = useSession();
  const [types, setTypes] = useState<string[]>([...request.resourceTypes]);
  const { busy, error, run } = useAction();
  const answer = (decision: 'approve' | 'deny'): void => {
    const body = decision === 'approve' && request.resourceTypes.length > 0 ? { resourceTypes: types } : {};
    run(() => api.post(`/api/access-requests/${request.id}/${decision}`, body), onDone);
  };
  return (
    <Card withBorder data-testid="pending-request">
      <Text fw={600}>{requesterName(request, names)} asks to see your records</Text>
      <Text size="sm">
        For {purposeName(request.purpose)}
        {request.periodEnd === undefined ? '' : `, until ${formatDate(request.periodEnd)}`}. Asked{' '}
        {formatDateTime(request.createdAt)}; the request expires {formatDateTime(request.expiresAt)}.
      </Text>
      {request.resourceTypes.length > 0 ? (
        <Checkbox.Group label="Approve only what you tick" value={types} onChange={setTypes} mt="xs">
          <Group mt={4}>
            {request.resourceTypes.map((type) => (
              <Checkbox key={type} value={type} label={recordTypeName(type)} />
            ))}
          </Group>
        </Checkbox.Group>
      ) : (
        <Text size="sm">They ask for all kinds of records.</Text>
      )}
      <Text size="sm" c="dimmed" mt="xs">
        Sensitive information stays hidden unless the request names it.
      </Text>
      {error !== undefined && <ErrorNote message={error} title="Not saved" />}
      <Group mt="sm">
        <Button
          onClick={() => {
            answer('approve');
          }}
          loading={busy}
          disabled={request.resourceTypes.length > 0 && types.length === 0}
        >
          Approve
        </Button>
        <Button
          variant="default"
          onClick={() => {
            answer('deny');
          }}
          disabled={busy}
        >
          Deny
        </Button>
      </Group>
    </Card>
  );
}

export function RequestsPage(): React.JSX.Element {
  const { api } = useSession();
  const state = useAsync(async () => {
    const [directory, requests] = await Promise.all([loadDirectory(api), loadRequests(api)]);
    return { names: directory.names, requests };
  }, [api]);
  return (
    <AsyncView
      state={state}
      label="Loading requests…"
      render={({ names, requests }) => {
        const pending = requests.filter((r) => r.status === 'pending');
        const past = requests.filter((r) => r.status !== 'pending');
        return (
          <Stack>
            {pending.length === 0 && <Empty>No one is waiting for an answer.</Empty>}
            {pending.map((request) => (
              <PendingRequest key={request.id} request={request} names={names} onDone={state.reload} />
            ))}
            {past.length > 0 && (
              <Stack gap="xs">
                <Text fw={600}>Answered</Text>
                {past.map((request) => (
                  <Text key={request.id} size="sm">
                    {requesterName(request, names)} —{' '}
                    {listInWords(request.resourceTypes.map(recordTypeName)) || 'all records'}{' '}
                    <Badge variant="light">{request.status}</Badge>
                  </Text>
                ))}
              </Stack>
            )}
          </Stack>
        );
      }}
    />
  );
}

/** The number of requests waiting for the patient, beside the navigation link. */
export function RequestsBadge(): React.JSX.Element | null {
  const { api } = useSession();
  const state = useAsync(() => loadRequests(api), [api]);
  const count = state.data?.filter((r) => r.status === 'pending').length ?? 0;
  if (count === 0) return null;
  return (
    <Badge color="red" size="sm" circle>
      <span>{count}</span>
      {/* aria-label on the badge would name a generic element, which screen readers need not read. */}
      <VisuallyHidden> new</VisuallyHidden>
    </Badge>
  );
}
