/**
 * Readiness through @nestjs/terminus: GET /health/ready answers 200 when every check of the
 * service is up (NATS connected, a registry revision in force, the store writable) and 503 with
 * terminus's report (`{ status, info, error, details }`) when one is down; GET /health/live
 * answers 200 while the process serves HTTP at all. A service's own GET /health (its summary)
 * stays as it is.
 */
import { access, constants } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';

import { Public } from './bearer-guard.js';
import type { NatsLink } from './nats-connect.js';

/** Injection token of the service's readiness checks. */
export const READINESS_CHECKS = Symbol.for('enlace.service-kit.readiness-checks');

/** One readiness check: undefined or details when up; throws (its message says why) when down. */
export interface ReadinessCheck {
  /** Key in the report, e.g. "nats", "registry", "store". */
  readonly name: string;
  check(): Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;
}

/** Up while `link` is connected to a server. */
export function natsCheck(link: Pick<NatsLink, 'connected'>): ReadinessCheck {
  return {
    name: 'nats',
    check: () => {
      if (!link.connected()) throw new Error('not connected to NATS');
      return undefined;
    },
  };
}

/** Up while a verified registry revision is in force (`revision()` is undefined before one is). */
export function registryRevisionCheck(revision: () => number | undefined): ReadinessCheck {
  return {
    name: 'registry',
    check: () => {
      const value = revision();
      if (value === undefined) throw new Error('no verified registry snapshot in force');
      return { revision: value };
    },
  };
}

/** Up while this process may write into `dir` (where the service keeps its store). */
export function writableDirectoryCheck(dir: string, name = 'store'): ReadinessCheck {
  return {
    name,
    check: async () => {
      try {
        await access(dir, constants.W_OK);
      } catch (error) {
        throw new Error(
          `${dir} is not writable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
      return undefined;
    },
  };
}

/** The checks every service makes: NATS connected, a registry revision in force, its data directory writable. */
export function serviceReadiness(parts: {
  readonly nats: Pick<NatsLink, 'connected'>;
  readonly revision: () => number | undefined;
  readonly dataDir: string;
}): ReadinessCheck[] {
  return [
    natsCheck(parts.nats),
    registryRevisionCheck(parts.revision),
    writableDirectoryCheck(parts.dataDir),
  ];
}

@ApiTags('operations')
@Public()
@Controller('health')
export class ReadinessController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process serves HTTP' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness (terminus): NATS connected, registry revision in force, store writable',
  })
  async ready(@Res() res: ServerResponse): Promise<void> {
    let report: HealthCheckResult;
    try {
      report = await this.health.check(this.checks.map((c) => () => this.run(c)));
    } catch (error) {
      // terminus throws a 503 whose response is the full report.
      const response = (error as { getResponse?: () => unknown }).getResponse?.();
      if (response === undefined) throw error;
      this.send(res, 503, response);
      return;
    }
    this.send(res, 200, report);
  }

  private async run(check: ReadinessCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    try {
      const details = await check.check();
      return session.up(details ?? {});
    } catch (error) {
      return session.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  }
}
