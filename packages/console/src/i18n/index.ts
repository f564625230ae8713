/**
 * The console's languages: en, es, fr, pt, switchable at any time and remembered in this browser
 * (the choice only, never anything about the user). Catalogs are bundled JSON, one file per area
 * and language (`locales/<lang>/<namespace>.json`), so no request is made for them and the CSP
 * stays closed; `catalog.spec.ts` checks that every key exists in all four.
 *
 * Use: `const { t } = useTranslation('officer')` in a component, `t('inbox.title')`.
 * Dates and numbers go through `formatInstant` / `formatNumber` (format.ts) with `i18n.language`.
 */
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

import enAdmin from './locales/en/admin.json';
import enCommon from './locales/en/common.json';
import enFiu from './locales/en/fiu.json';
import enOfficer from './locales/en/officer.json';
import enRfi from './locales/en/rfi.json';
import esAdmin from './locales/es/admin.json';
import esCommon from './locales/es/common.json';
import esFiu from './locales/es/fiu.json';
import esOfficer from './locales/es/officer.json';
import esRfi from './locales/es/rfi.json';
import frAdmin from './locales/fr/admin.json';
import frCommon from './locales/fr/common.json';
import frFiu from './locales/fr/fiu.json';
import frOfficer from './locales/fr/officer.json';
import frRfi from './locales/fr/rfi.json';
import ptAdmin from './locales/pt/admin.json';
import ptCommon from './locales/pt/common.json';
import ptFiu from './locales/pt/fiu.json';
import ptOfficer from './locales/pt/officer.json';
import ptRfi from './locales/pt/rfi.json';

export const LANGUAGES = ['en', 'es', 'fr', 'pt'] as const;
export type Language = (typeof LANGUAGES)[number];
export const NAMESPACES = ['common', 'officer', 'rfi', 'admin', 'fiu'] as const;

/** Each language's own name for itself, for the switcher. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  pt: 'Português',
};

export const resources = {
  en: { common: enCommon, officer: enOfficer, rfi: enRfi, admin: enAdmin, fiu: enFiu },
  es: { common: esCommon, officer: esOfficer, rfi: esRfi, admin: esAdmin, fiu: esFiu },
  fr: { common: frCommon, officer: frOfficer, rfi: frRfi, admin: frAdmin, fiu: frFiu },
  pt: { common: ptCommon, officer: ptOfficer, rfi: ptRfi, admin: ptAdmin, fiu: ptFiu },
} as const;

const STORAGE_KEY = 'enlace.language';

export const isLanguage = (value: unknown): value is Language =>
  typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);

/** The remembered choice, else the browser's first language we have, else English. */
export function initialLanguage(): Language {
  try {
    const kept = window.localStorage.getItem(STORAGE_KEY);
    if (isLanguage(kept)) return kept;
  } catch {
    // Storage refused (private mode): fall through to the browser's languages.
  }
  for (const tag of window.navigator.languages ?? []) {
    const base = tag.slice(0, 2).toLowerCase();
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export async function setLanguage(language: Language): Promise<void> {
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not remembered; the switch still applies to this page.
  }
  document.documentElement.lang = language;
  await i18next.changeLanguage(language);
}

export async function initI18n(): Promise<void> {
  const lng = initialLanguage();
  document.documentElement.lang = lng;
  await i18next.use(initReactI18next).init({
    resources,
    lng,
    fallbackLng: 'en',
    ns: NAMESPACES,
    defaultNS: 'common',
    interpolation: { escapeValue: false }, // React escapes.
    returnNull: false,
  });
}

export const currentLanguage = (): Language => (isLanguage(i18next.language) ? i18next.language : 'en');

export { i18next };
