/** The language picker, in the header and on the sign-in page; each language named in itself. */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, isLanguage, setLanguage } from './i18n/index.js';

export function LanguageSwitch(): ReactNode {
  const { t, i18n } = useTranslation();
  const value = isLanguage(i18n.language) ? i18n.language : currentLanguage();
  return (
    <label className="language">
      {t('language')}{' '}
      <select
        value={value}
        data-testid="language"
        onChange={(e) => {
          if (isLanguage(e.target.value)) void setLanguage(e.target.value);
        }}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {LANGUAGE_NAMES[language]}
          </option>
        ))}
      </select>
    </label>
  );
}
