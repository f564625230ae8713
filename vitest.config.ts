// One vitest run for the whole workspace: unit specs beside the code, cross-package suites in test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources (see tsconfig.base.json).
    conditions: ['@enlace/source'],
  },
  ssr: { resolve: { conditions: ['@enlace/source'] } },
  // NestJS services use legacy decorators; transform specs the way tsc builds the services.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['packages/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Services log JSON lines at ENLACE_LOG_LEVEL: none in tests unless asked for.
    env: { ENLACE_LOG_LEVEL: process.env.ENLACE_LOG_LEVEL ?? 'silent' },
  },
});
