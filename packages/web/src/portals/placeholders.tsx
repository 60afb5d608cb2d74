import { Alert, Card, Stack, Text } from '@mantine/core';

/** A page whose content arrives with the analytics work; the navigation is in place already. */
export function ComingSoon({ what }: { readonly what: string }): React.JSX.Element {
  return (
    <Stack>
      <Alert color="blue" title="Coming with the analytics release">
        {what} will appear here. Every figure will come from consent-gated, de-identified data with differential
        privacy.
      </Alert>
      <Card withBorder>
        <Text size="sm" c="dimmed">
          Nothing to show yet.
        </Text>
      </Card>
    </Stack>
  );
}
