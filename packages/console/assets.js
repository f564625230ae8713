// Where the built console lives (vite build writes dist/), for the services that serve it.
import { fileURLToPath } from 'node:url';

export const consoleAssetsDir = fileURLToPath(new URL('./dist/', import.meta.url));
