import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { ApiClient, requestToken } from './api/client.js';
import type { Whoami } from './api/types.js';

export type SignOutReason = 'signed-out' | 'expired';

export interface Session {
  readonly api: ApiClient;
  readonly me: Whoami;
  readonly expiresAt: number;
}

interface SessionState {
  readonly session: Session | undefined;
  /** Why the last session ended, for the login page's message. */
  readonly ended: SignOutReason | undefined;
  readonly signIn: (username: string, password: string) => Promise<void>;
  readonly signOut: (reason?: SignOutReason) => void;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * Holds the session in memory only: a reload or a closed tab signs the person out, and nothing about them is left in
 * browser storage. The session ends when the token expires or the server answers 401.
 */
export function SessionProvider({ children }: { readonly children: ReactNode }): React.JSX.Element {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [ended, setEnded] = useState<SignOutReason | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const signOut = useCallback((reason: SignOutReason = 'signed-out') => {
    clearTimeout(timer.current);
    setSession(undefined);
    setEnded(reason);
  }, []);

  const signIn = useCallback(
    async (username: string, password: string) => {
      const { accessToken, expiresIn } = await requestToken(username, password);
      const api = new ApiClient(accessToken, () => {
        signOut('expired');
      });
      const me = await api.get<Whoami>('/api/whoami');
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        signOut('expired');
      }, expiresIn * 1000);
      setEnded(undefined);
      setSession({ api, me, expiresAt: Date.now() + expiresIn * 1000 });
    },
    [signOut],
  );

  useEffect(
    () => () => {
      clearTimeout(timer.current);
    },
    [],
  );
  const value = useMemo(() => ({ session, ended, signIn, signOut }), [session, ended, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (state === undefined) throw new Error('useSessionState needs a SessionProvider');
  return state;
}

/** The signed-in session; only used below the pages that require one. */
export function useSession(): Session {
  const { session } = useSessionState();
  if (session === undefined) throw new Error('not signed in');
  return session;
}
