/**
 * The console's shell: finds out which console this service serves and who is signed in,
 * takes a sign-in link's one-time code out of the URL fragment at once (so it stays in no
 * history entry) and exchanges it, then shows the officer, administrator or FIU console.
 */
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { ConsoleAppName, ConsoleSessionJson } from '@enlace/client';

import { consoleClient, messageOf, sessionEnded } from './api.js';
import { AdminConsole } from './admin/admin-console.js';
import { FiuConsole } from './fiu/fiu-console.js';
import { OfficerConsole } from './officer/officer-console.js';
import { LanguageSwitch } from './language-switch.js';
import { SignIn } from './sign-in.js';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'signed-out'; readonly app: ConsoleAppName; readonly message?: string }
  | { readonly kind: 'signed-in'; readonly session: ConsoleSessionJson };

export interface Shell {
  readonly session: ConsoleSessionJson;
  /** Path under /console/ ('' for the home page). */
  readonly path: string;
  navigate(path: string): void;
  /** Call with any failed call's error: a session that ended sends the user to sign in. */
  failed(error: unknown): string;
}

const ShellContext = createContext<Shell | undefined>(undefined);

export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (shell === undefined) throw new Error('useShell outside the console');
  return shell;
}

const pathNow = (): string => window.location.pathname.replace(/^\/console\/?/, '');

export function App(): ReactNode {
  const { t } = useTranslation();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [path, setPath] = useState(pathNow);

  useEffect(() => {
    const onPop = (): void => setPath(pathNow());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    let live = true;
    const code = new URLSearchParams(window.location.hash.slice(1)).get('code');
    const start = async (): Promise<void> => {
      const { app } = await consoleClient().info();
      if (code !== null) {
        // Out of the address bar and history before anything else runs.
        window.history.replaceState(null, '', '/console/');
        setPath('');
        try {
          const session = await consoleClient(app).signIn({ code });
          if (live) setState({ kind: 'signed-in', session });
        } catch (error) {
          if (live) setState({ kind: 'signed-out', app, message: messageOf(error) });
        }
        return;
      }
      try {
        const session = await consoleClient(app).session();
        if (live) setState({ kind: 'signed-in', session });
      } catch (error) {
        const message = sessionEnded(error);
        if (live) setState({ kind: 'signed-out', app, ...(message !== undefined && { message }) });
      }
    };
    start().catch((error: unknown) => {
      if (live) setState({ kind: 'signed-out', app: 'officer', message: messageOf(error) });
    });
    return () => {
      live = false;
    };
  }, []);

  const navigate = useCallback((to: string) => {
    window.history.pushState(null, '', `/console/${to}`);
    setPath(to);
  }, []);

  if (state.kind === 'loading') return <p className="loading">{t('loading')}</p>;
  if (state.kind === 'signed-out')
    return (
      <SignIn
        title={t(`titles.${state.app}`)}
        app={state.app}
        {...(state.message !== undefined && { message: state.message })}
        onSignedIn={(session) => setState({ kind: 'signed-in', session })}
      />
    );

  const session = state.session;
  const shell: Shell = {
    session,
    path,
    navigate,
    failed: (error) => {
      const ended = sessionEnded(error);
      if (ended !== undefined) setState({ kind: 'signed-out', app: session.app, message: ended });
      return messageOf(error);
    },
  };
  const signOut = async (): Promise<void> => {
    try {
      await consoleClient(session.app).signOut();
    } finally {
      window.history.replaceState(null, '', '/console/');
      setPath('');
      setState({ kind: 'signed-out', app: session.app, message: t('signedOut') });
    }
  };
  return (
    <ShellContext.Provider value={shell}>
      <header className="top">
        <h1>
          Enlace · {t(`titles.${session.app}`)}
          {session.country !== undefined && ` · ${session.country}`}
        </h1>
        <span className="who" data-testid="who">
          {session.actor} ({session.roles.join(', ')})
        </span>
        <LanguageSwitch />
        <button type="button" onClick={() => void signOut()}>
          {t('signOut')}
        </button>
      </header>
      <main>
        {session.app === 'officer' && <OfficerConsole />}
        {session.app === 'administrator' && <AdminConsole />}
        {session.app === 'fiu' && <FiuConsole />}
      </main>
    </ShellContext.Provider>
  );
}
