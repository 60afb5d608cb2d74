import { MantineProvider } from '@mantine/core';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { ConsentDraft } from '../logic/consent.js';
import { ConsentForm } from './consent-form.js';
import type { DirectoryEntry } from './directory.js';

const directory: DirectoryEntry[] = [
  {
    value: 'Practitioner/dr.house',
    label: 'Dr. Gregory House — clinician, Hospital B',
    name: 'Dr. Gregory House',
    group: 'People',
  },
  {
    value: 'Organization/InsurerMSP',
    label: 'Insurer (the whole organisation)',
    name: 'Insurer',
    group: 'Organisations',
  },
];

function renderForm(onSave: (draft: ConsentDraft) => Promise<void>): void {
  render(
    <MantineProvider>
      <ConsentForm directory={directory} today="2026-11-26" onSave={onSave} />
    </MantineProvider>,
  );
}

function preview(): string {
  return screen.getByTestId('consent-preview').textContent;
}

describe('the grant form', () => {
  it('has sensitive categories off by default and labels on every field', () => {
    renderForm(() => Promise.resolve());
    for (const label of ['HIV/AIDS', 'Mental health', 'Substance use']) {
      expect(screen.getByLabelText<HTMLInputElement>(label).checked).toBe(false);
    }
    expect(screen.getByRole('combobox', { name: /who may see it/i })).toBeTruthy();
    expect(screen.getByLabelText(/until/i)).toBeTruthy();
  });

  it('does not save an incomplete form and says what is missing', async () => {
    const onSave = vi.fn(() => Promise.resolve());
    renderForm(onSave);
    fireEvent.click(screen.getByRole('button', { name: 'Save and share' }));
    expect(await screen.findByText('Choose who may see your data.')).toBeTruthy();
    expect(screen.getByText('Choose at least one kind of record.')).toBeTruthy();
    expect(onSave).not.toHaveBeenCalled();
  });

  it('updates the preview in words as the patient fills it in, then saves exactly that draft', async () => {
    const onSave = vi.fn((_draft: ConsentDraft) => Promise.resolve());
    renderForm(onSave);
    expect(preview()).toMatch(/^Nobody yet may see all your records/);

    fireEvent.click(screen.getByRole('combobox', { name: /who may see it/i }));
    fireEvent.click(await screen.findByRole('option', { name: /Dr. Gregory House/ }));
    fireEvent.click(screen.getByLabelText('Vital signs and lab results'));
    fireEvent.change(screen.getByLabelText(/until/i), { target: { value: '2026-12-31' } });
    await waitFor(() => {
      expect(preview()).toBe(
        'Dr. Gregory House may see your vital signs and lab results for treatment until 31 December 2026. ' +
          'Sensitive information (such as HIV, mental health or substance use) stays hidden.',
      );
    });
    fireEvent.click(screen.getByLabelText('Mental health'));
    await waitFor(() => {
      expect(preview()).toMatch(/Sensitive information shared: Mental health\./);
    });

    fireEvent.click(screen.getByRole('button', { name: 'Save and share' }));
    await waitFor(() => {
      expect(onSave).toHaveBeenCalledTimes(1);
    });
    expect(onSave.mock.calls[0]?.[0]).toEqual({
      actor: 'Practitioner/dr.house',
      actorName: 'Dr. Gregory House',
      resourceTypes: ['Observation'],
      sensitive: ['PSY'],
      purpose: 'TREAT',
      until: '2026-12-31',
    });
  });

  it('shows the server refusal and keeps the draft', async () => {
    renderForm(() => Promise.reject(new Error('the contract refused')));
    fireEvent.click(screen.getByRole('combobox', { name: /who may see it/i }));
    fireEvent.click(await screen.findByRole('option', { name: /Insurer/ }));
    fireEvent.click(screen.getByLabelText('Claims'));
    fireEvent.click(screen.getByLabelText('For payment of claims'));
    fireEvent.change(screen.getByLabelText(/until/i), { target: { value: '2027-01-31' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and share' }));
    expect(await screen.findByText('the contract refused')).toBeTruthy();
    expect(preview()).toMatch(/^Insurer may see your claims for payment of claims until 31 January 2027/);
  });
});
