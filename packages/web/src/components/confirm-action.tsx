import { useState } from 'react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { ErrorNote, useAction } from './async.js';
import { focusPageHeading } from './shell.js';

export interface ConfirmActionProps {
  /** The text of the button that opens the confirmation. */
  readonly label: string;
  /**
   * What the action is about, when a page has several such buttons: the button's accessible name is the label followed
   * by it (e.g. "Revoke sharing with Dr House"), so a screen reader tells them apart and the visible label stays first.
   */
  readonly about?: string;
  readonly variant?: 'light' | 'subtle';
  readonly title: string;
  /** What happens, in plain words. */
  readonly explanation: React.ReactNode;
  /** The title of the error note when the request fails, e.g. "Not revoked". */
  readonly failedTitle: string;
  readonly keepLabel: string;
  readonly confirmLabel: string;
  /** The one request the confirmation sends. */
  readonly action: () => Promise<unknown>;
  readonly onDone: () => void;
}

/**
 * A destructive one-request action behind a confirmation (revoke a consent, end an emergency access, erase a record).
 * On success the button goes away with what it acted on, so focus moves to the page heading instead of back to it.
 */
export function ConfirmAction(props: ConfirmActionProps): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const close = (): void => {
    setOpen(false);
  };
  const confirm = (): void => {
    run(props.action, () => {
      setDone(true);
      setOpen(false);
      props.onDone();
      focusPageHeading();
    });
  };
  return (
    <>
      <Button
        color="red"
        variant={props.variant ?? 'light'}
        size="xs"
        aria-label={props.about === undefined ? undefined : `${props.label.replace(/…$/, '')} ${props.about}`}
        onClick={() => {
          setOpen(true);
        }}
      >
        {props.label}
      </Button>
      <Modal opened={open} onClose={close} title={props.title} centered returnFocus={!done}>
        <Stack>
          <Text>{props.explanation}</Text>
          {error !== undefined && <ErrorNote message={error} title={props.failedTitle} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {props.keepLabel}
            </Button>
            <Button color="red" loading={busy} onClick={confirm}>
              {props.confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
