// Lint for the whole workspace: type-aware rules that catch dropped promises and type-only imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/schema/src/gen/**',
      'bench/results/**',
      '.enlace/**',
      // Vite's own config (import-x's resolver cannot load vite's exports map); tsc checks it.
      'packages/console/vite.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  // DESIGN.md layering: no service imports another service; no package but the launcher
  // (packages/local-network) imports a service; the launcher and the bench import a service only
  // through its public entry point. Specs may start a service as a test fixture.
  ...['node', 'registry', 'feed'].map((own) => ({
    files: [`services/${own}/src/**/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node', 'registry', 'feed']
                .filter((other) => other !== own)
                .flatMap((other) => [
                  `@enlace/${other}`,
                  `@enlace/${other}/*`,
                  `**/services/${other}/**`,
                  `../../../${other}/**`,
                ]),
              message:
                'a service never imports another service: move what both need into a package (trust, client, service-kit)',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/local-network/src/**', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@enlace/node',
                '@enlace/node/*',
                '@enlace/registry',
                '@enlace/registry/*',
                '@enlace/feed',
                '@enlace/feed/*',
                '**/services/**',
              ],
              message: 'packages never import a service (only packages/local-network, the launcher, does)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/local-network/src/**/*.ts', 'bench/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@enlace/node/*',
                '@enlace/registry/*',
                '@enlace/feed/*',
                '**/services/**',
                '**/dist/**',
              ],
              message:
                "import a service only through its public entry point ('@enlace/node'), never a subpath or dist/",
            },
          ],
        },
      ],
    },
  },
  {
    // Specs and suites are left out of the package builds; tsconfig.test.json type-checks them.
    files: ['packages/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'test/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['./tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
