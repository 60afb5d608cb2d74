import { Alert } from '@mantine/core';

export interface StatusMessage {
  readonly ok: boolean;
  readonly text: string;
}

/** The result of an action: green and polite when it worked, red and assertive when it did not. */
export function StatusAlert({ message }: { readonly message: StatusMessage | undefined }): React.JSX.Element | null {
  if (message === undefined) return null;
  return (
    <Alert color={message.ok ? 'green' : 'red'} role={message.ok ? 'status' : 'alert'}>
      {message.text}
    </Alert>
  );
}
