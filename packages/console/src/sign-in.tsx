/** The sign-in page: says why (expired, signed out) and takes a pasted registry token. */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';

import type { ConsoleAppName, ConsoleSessionJson } from '@enlace/client';

import { consoleClient, messageOf } from './api.js';

export function SignIn(props: {
  readonly title: string;
  readonly app: ConsoleAppName;
  readonly message?: string;
  readonly onSignedIn: (session: ConsoleSessionJson) => void;
}): ReactNode {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      const session = await consoleClient(props.app).signIn({ token });
      setToken('');
      props.onSignedIn(session);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <main className="sign-in">
      <h1>Enlace · {props.title}</h1>
      {props.message !== undefined && (
        <p className="notice" role="status" data-testid="sign-in-message">
          {props.message}
        </p>
      )}
      <p>
        Open the sign-in link that <code>npx enlace console link</code> prints, or paste a registry token for
        this service. The token is exchanged for a session and is not kept in this browser.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">Registry token</label>
        <textarea
          id="token"
          rows={4}
          value={token}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setToken(e.target.value)}
        />
        <button type="submit" disabled={token.trim() === ''}>
          Sign in
        </button>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
