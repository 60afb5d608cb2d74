import { useState } from 'react';
import { Alert, Button, Container, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { errorText } from '../components/async.js';
import { useSessionState } from '../session.js';

export function LoginPage(): React.JSX.Element {
  const { signIn, ended } = useSessionState();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    signIn(username.trim(), password).catch((failure: unknown) => {
      setError(errorText(failure));
      setBusy(false);
    });
  };

  return (
    <Container size={420} py="xl" component="main">
      <Title order={1} ta="center">
        Medledger
      </Title>
      <Text c="dimmed" ta="center" mb="lg">
        Your health records, shared only as you decide.
      </Text>
      <Paper withBorder p="lg" radius="md">
        <form onSubmit={submit} aria-label="Sign in">
          <Stack>
            {ended === 'expired' && (
              <Alert color="yellow" title="Session expired" role="status">
                Your session has expired. Please sign in again.
              </Alert>
            )}
            {ended === 'signed-out' && (
              <Alert color="blue" role="status">
                You have signed out.
              </Alert>
            )}
            {error !== undefined && (
              <Alert color="red" title="Could not sign in" role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label="Username"
              name="username"
              autoComplete="username"
              required
              autoFocus
              value={username}
              onChange={(event) => {
                setUsername(event.currentTarget.value);
              }}
            />
            <PasswordInput
              label="Password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
              }}
            />
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
      <Text size="sm" c="dimmed" mt="md" ta="center">
        Signing in starts a session of at most 15 minutes. Nothing about you is kept in this browser after you sign out
        or close the tab.
      </Text>
    </Container>
  );
}
