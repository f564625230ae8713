/** Entry point of the console: one React root. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app.js';
import { initI18n } from './i18n/index.js';
import './styles.css';

// Catalogs are bundled: init resolves at once, before the first render.
void initI18n().then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
