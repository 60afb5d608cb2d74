import { useEffect, useRef } from 'react';
import { AppShell, Burger, Button, Group, NavLink, Text, Title, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterNavLink, Outlet, useLocation } from 'react-router';
import { ROLE_NAMES, organizationName } from '../logic/codes.js';
import type { Portal } from '../portals/portal.js';
import { useSession, useSessionState } from '../session.js';

/**
 * Moves focus to the page's heading: for when the control that had focus goes away (a revoked grant's button), so
 * that keyboard and screen-reader users continue from the top of the page rather than from the document's start.
 */
export function focusPageHeading(): void {
  document.querySelector<HTMLElement>('#main .page-heading')?.focus();
}

/**
 * The frame of every portal: a header with the person and Sign out, the portal's navigation (a drawer on phones),
 * and the page. The page title names the portal and page only, never a patient.
 */
export function Shell({ portal }: { readonly portal: Portal }): React.JSX.Element {
  const [opened, { toggle, close }] = useDisclosure(false);
  const { me, expiresAt } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const { signOut } = useSessionState();
  const location = useLocation();
  const current =
    portal.pages.find((page) => page.path !== '' && location.pathname.endsWith(`/${page.path}`)) ??
    portal.pages.find((page) => page.path === '');

  useEffect(() => {
    document.title = `${current?.label ?? portal.title} · ${portal.title} · Medledger`;
    close();
    // After navigating, screen readers and keyboard users start at the new page's heading.
    if (!first.current) heading.current?.focus();
    first.current = false;
  }, [current, portal.title, close]);
  const until = new Date(expiresAt).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Open navigation" />
            <Title order={1} size="h3">
              Medledger <VisuallyHidden>—</VisuallyHidden>
              <Text span c="dimmed" fw={400} visibleFrom="xs">
                {portal.title}
              </Text>
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="sm" data-testid="signed-in-as">
              {me.displayName} · {ROLE_NAMES[me.role]} · {organizationName(me.organization)}
            </Text>
            <Text size="xs" c="dimmed" visibleFrom="md" title="Sign in again after this time">
              Session until {until}
            </Text>
            <Button
              variant="default"
              size="xs"
              onClick={() => {
                signOut('signed-out');
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={`${portal.title} navigation`}>
        {portal.pages.map((page) => (
          <NavLink
            key={page.path}
            component={RouterNavLink}
            to={page.path === '' ? `/${portal.path}` : `/${portal.path}/${page.path}`}
            end
            label={page.label}
            rightSection={page.badge === undefined ? undefined : <page.badge key={location.pathname} />}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main">
        <Title order={2} mb="md" ref={heading} tabIndex={-1} className="page-heading">
          {current?.label}
        </Title>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
