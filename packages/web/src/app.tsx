import { MantineProvider } from '@mantine/core';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import type { Role } from './api/types.js';
import { Shell } from './components/shell.js';
import { LoginPage } from './portals/login.js';
import { PORTALS } from './portals/portals.js';
import { SessionProvider, useSessionState } from './session.js';
import { cssVariablesResolver, theme } from './theme.js';

/** The home path of each role's portal. */
export function homeOf(role: Role): string {
  return `/${PORTALS[role].path}`;
}

function Routed(): React.JSX.Element {
  const { session } = useSessionState();
  if (session === undefined) {
    return (
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Navigate to="/login" replace />} />
      </Routes>
    );
  }
  const portal = PORTALS[session.me.role];
  return (
    <Routes>
      <Route path={`/${portal.path}`} element={<Shell portal={portal} />}>
        {portal.pages.map((page) => (
          <Route
            key={page.path}
            index={page.path === ''}
            {...(page.path === '' ? {} : { path: page.path })}
            element={page.element}
          />
        ))}
      </Route>
      <Route path="*" element={<Navigate to={`/${portal.path}`} replace />} />
    </Routes>
  );
}

export function App(): React.JSX.Element {
  return (
    <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={cssVariablesResolver}>
      <SessionProvider>
        <BrowserRouter>
          <Routed />
        </BrowserRouter>
      </SessionProvider>
    </MantineProvider>
  );
}
