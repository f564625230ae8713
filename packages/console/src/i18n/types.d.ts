// Typed keys: t('…') in a namespace is checked against the English catalog.
import 'i18next';

import type { resources } from './index.js';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: (typeof resources)['en'];
    returnNull: false;
  }
}
