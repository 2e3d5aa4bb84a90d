import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { createApi, messageOf, type Api, type User } from '../api/index.js';

/**
 * Where the token is kept: sessionStorage, so it lives as long as the tab and is not shared with
 * other tabs or left behind on a shared workstation after the browser closes (see ADR 080).
 */
const storageKey = 'drivetrain.token';

export interface Session {
  readonly token: string;
  readonly user: User;
}

interface SessionState {
  readonly api: Api;
  /** The signed-in user, or null when signed out. */
  readonly session: Session | null;
  /** True while a token kept from before a reload is being checked. */
  readonly restoring: boolean;
  /** Why the last session ended when the user did not sign out (a revoked or expired token). */
  readonly endedBecause: string | undefined;
  /** Checks the token with `GET /me` and keeps it; rejects with the server's reason. */
  readonly signIn: (token: string) => Promise<void>;
  readonly signOut: () => void;
}

/** The token API calls are signed with; outside React state, because calls read it, never render it. */
class TokenHolder {
  private token: string | null = null;

  get(): string | null {
    return this.token;
  }

  set(token: string | null): void {
    this.token = token;
  }
}

const SessionContext = createContext<SessionState | undefined>(undefined);

function readStoredToken(): string | null {
  try {
    return window.sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

/** Holds who is signed in and the API client that signs its calls with their token. */
export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const queryClient = useQueryClient();
  const [stored] = useState(readStoredToken);
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(stored !== null);
  const [endedBecause, setEndedBecause] = useState<string | undefined>();
  const [tokens] = useState(() => new TokenHolder());

  const end = useCallback(
    (reason: string | undefined) => {
      window.sessionStorage.removeItem(storageKey);
      tokens.set(null);
      setSession(null);
      setEndedBecause(reason);
      queryClient.clear();
    },
    [queryClient, tokens],
  );

  const api = useMemo(
    () =>
      createApi({
        token: () => tokens.get(),
        onUnauthorized: (error) => end(`Your session ended: ${error.detail}`),
      }),
    [end, tokens],
  );

  const signIn = useCallback(
    async (secret: string) => {
      const user = await api.me(secret);
      window.sessionStorage.setItem(storageKey, secret);
      tokens.set(secret);
      setEndedBecause(undefined);
      setSession({ token: secret, user });
    },
    [api, tokens],
  );

  useEffect(() => {
    if (stored === null) return;
    api.me(stored).then(
      (user) => {
        tokens.set(stored);
        setSession({ token: stored, user });
        setRestoring(false);
      },
      (error: unknown) => {
        end(`Sign in again: ${messageOf(error)}`);
        setRestoring(false);
      },
    );
  }, [api, end, stored, tokens]);

  const value = useMemo<SessionState>(
    () => ({ api, session, restoring, endedBecause, signIn, signOut: () => end(undefined) }),
    [api, session, restoring, endedBecause, signIn, end],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The sign-in state and actions. */
export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === undefined) throw new Error('useSession is used outside SessionProvider');
  return state;
}

/** The API client of the signed-in user. */
export function useApi(): Api {
  return useSession().api;
}

/** The signed-in user; only for pages behind the sign-in. */
export function useMe(): User {
  const { session } = useSession();
  if (session === null) throw new Error('useMe is used on a page that does not need sign-in');
  return session.user;
}
