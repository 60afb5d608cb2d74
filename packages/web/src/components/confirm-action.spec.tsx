import { MantineProvider } from '@mantine/core';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmAction } from './confirm-action.js';

function renderRevoke(about: string, action: () => Promise<unknown>, onDone = vi.fn()): void {
  render(
    <MantineProvider>
      <ConfirmAction
        label="Revoke"
        about={about}
        title="Stop sharing?"
        explanation="They will no longer see these records."
        failedTitle="Not revoked"
        keepLabel="Keep sharing"
        confirmLabel="Revoke access"
        action={action}
        onDone={onDone}
      />
    </MantineProvider>,
  );
}

describe('a confirmed destructive action', () => {
  it('names each button by what it acts on, with the visible label first', () => {
    renderRevoke('sharing with Dr. Gregory House', () => Promise.resolve());
    renderRevoke('sharing with Insurer', () => Promise.resolve());
    const buttons = screen.getAllByRole('button', { name: /^Revoke sharing with / });
    expect(buttons.map((button) => button.getAttribute('aria-label'))).toEqual([
      'Revoke sharing with Dr. Gregory House',
      'Revoke sharing with Insurer',
    ]);
    expect(buttons.every((button) => button.textContent === 'Revoke')).toBe(true);
  });

  it('sends its one request only after the confirmation, then reports done', async () => {
    const action = vi.fn(() => Promise.resolve());
    const onDone = vi.fn();
    renderRevoke('sharing with Insurer', action, onDone);
    fireEvent.click(screen.getByRole('button', { name: 'Revoke sharing with Insurer' }));
    expect(action).not.toHaveBeenCalled();
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke access' }));
    await waitFor(() => {
      expect(onDone).toHaveBeenCalledTimes(1);
    });
    expect(action).toHaveBeenCalledTimes(1);
  });
});
