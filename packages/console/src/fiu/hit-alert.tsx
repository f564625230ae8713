/**
 * What a match hit says about an alert: its id, origin, network, kind, date and the field that
 * matched. The alert itself is with its origin and the countries that received it: the analyst
 * follows up with the origin (a request for information from the country's node).
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertRefJson } from '@enlace/client';

import { formatInstant } from '../format.js';

export function HitAlert(props: {
  readonly alertId: string;
  readonly alert: AlertRefJson | undefined;
  readonly onBack: () => void;
}): ReactNode {
  const { t, i18n } = useTranslation('fiu');
  const a = props.alert;
  return (
    <section aria-labelledby="hit-title" className="hit-alert">
      <h2 id="hit-title">{t('hit.title', { id: props.alertId })}</h2>
      {a === undefined ? (
        <p>{t('hit.unknown')}</p>
      ) : (
        <dl data-testid="hit-alert">
          <dt>{t('hit.origin')}</dt>
          <dd>{a.origin}</dd>
          <dt>{t('hit.network')}</dt>
          <dd>{a.network}</dd>
          <dt>{t('hit.kind')}</dt>
          <dd>{a.kind}</dd>
          <dt>{t('hit.issuedAt')}</dt>
          <dd>{formatInstant(a.issuedAt, i18n.language)}</dd>
          <dt>{t('hit.field')}</dt>
          <dd>{a.field}</dd>
        </dl>
      )}
      <p>{t('hit.followUp')}</p>
      <button type="button" onClick={props.onBack}>
        {t('hit.back')}
      </button>
    </section>
  );
}
