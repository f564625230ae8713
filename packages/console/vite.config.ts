// Vite builds the console into dist/ (served under /console/ by every service).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  // Workspace packages resolve to their TypeScript sources (as for tsc), so no prior build is needed.
  resolve: { conditions: ['@enlace/source', 'browser', 'module', 'import', 'default'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // CSP forbids inline script: no module preload polyfill inlined into index.html.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
});
