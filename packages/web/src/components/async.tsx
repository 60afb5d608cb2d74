import { useCallback, useEffect, useState } from 'react';
import { Alert, Center, Loader, Text } from '@mantine/core';
import { ApiError } from '../api/client.js';

export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/** Loads data on mount (and on `reload()`); keeps the last data while reloading. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const stableLoad = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setLoading(true);
    stableLoad().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(errorText(failure));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [stableLoad, round]);
  const reload = useCallback(() => {
    setRound((value) => value + 1);
  }, []);
  return { data, error, loading, reload };
}

export interface Action {
  readonly busy: boolean;
  readonly error: string | undefined;
  /** Runs one request: busy while it runs, its failure shown as `error`, `done` called on success. */
  readonly run: (request: () => Promise<unknown>, done: () => void) => void;
}

/** The busy flag and error message of a button or form that sends one request at a time. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = useCallback((request: () => Promise<unknown>, done: () => void) => {
    setBusy(true);
    setError(undefined);
    request().then(
      () => {
        setBusy(false);
        done();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorText(failure));
      },
    );
  }, []);
  return { busy, error, run };
}

export function Loading({ label }: { readonly label: string }): React.JSX.Element {
  return (
    <Center py="lg" role="status" aria-live="polite">
      <Loader size="sm" mr="sm" aria-hidden />
      <Text size="sm">{label}</Text>
    </Center>
  );
}

export function ErrorNote({
  message,
  title = 'Something went wrong',
}: {
  readonly message: string;
  readonly title?: string;
}): React.JSX.Element {
  return (
    <Alert color="red" title={title} role="alert" my="sm">
      {message}
    </Alert>
  );
}

export function Empty({ children }: { readonly children: React.ReactNode }): React.JSX.Element {
  return (
    <Text c="dimmed" py="md" ta="center">
      {children}
    </Text>
  );
}

/** Loading, error and content in one place; `render` runs only with data. */
export function AsyncView<T>({
  state,
  label,
  render,
}: {
  readonly state: AsyncState<T>;
  readonly label: string;
  readonly render: (data: T) => React.ReactNode;
}): React.JSX.Element {
  if (state.error !== undefined) return <ErrorNote message={state.error} />;
  if (state.data === undefined) return <Loading label={label} />;
  return <>{render(state.data)}</>;
}
