/** The sign-in page: says why (expired, signed out) and takes a pasted registry token. */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { Trans, useTranslation } from 'react-i18next';

import type { ConsoleAppName, ConsoleSessionJson } from '@enlace/client';

import { consoleClient, messageOf } from './api.js';
import { LanguageSwitch } from './language-switch.js';

export function SignIn(props: {
  readonly title: string;
  readonly app: ConsoleAppName;
  readonly message?: string;
  readonly onSignedIn: (session: ConsoleSessionJson) => void;
}): ReactNode {
  const { t } = useTranslation();
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
      <LanguageSwitch />
      {props.message !== undefined && (
        <p className="notice" role="status" data-testid="sign-in-message">
          {props.message}
        </p>
      )}
      <p>
        <Trans t={t} i18nKey="signIn.explain" components={[<code key="cli" />]} />
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">{t('signIn.token')}</label>
        <textarea
          id="token"
          rows={4}
          value={token}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setToken(e.target.value)}
        />
        <button type="submit" disabled={token.trim() === ''}>
          {t('signIn.submit')}
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
