/**
 * Structured JSON logs through pino: one line per HTTP request (pino-http) with its request id,
 * and Nest's own logs through the same pino logger. Nothing of a request's body or headers is
 * written (no tokens, no alert content): a request line holds its id, method, path without the
 * query, status and duration. The level comes from ENLACE_LOG_LEVEL (default `info`; `silent`
 * for none, as tests set).
 *
 * (nestjs-pino would do this wiring, but its releases for Nest 12 need Node 22.12+, and Enlace
 * runs on Node 20.19+: pino and pino-http are used directly, as nestjs-pino does.)
 */
import type { ServerResponse } from 'node:http';

import type { LoggerService, LogLevel } from '@nestjs/common';
import { pino } from 'pino';
import type { Level, Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { HttpLogger } from 'pino-http';

import type { ServiceRequest } from './request-id.js';
import { requestIdFrom, REQUEST_ID_HEADER } from './request-id.js';

export type ServiceLogLevel = Level | 'silent';
export const LOG_LEVEL_ENV = 'ENLACE_LOG_LEVEL';
const LEVELS: readonly ServiceLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The level ENLACE_LOG_LEVEL asks for (default `info`); an unknown value is refused by name. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceLogLevel {
  const value = env[LOG_LEVEL_ENV]?.trim().toLowerCase();
  if (value === undefined || value === '') return 'info';
  if (!(LEVELS as readonly string[]).includes(value))
    throw new Error(`${LOG_LEVEL_ENV} must be one of ${LEVELS.join(', ')} (got "${value}")`);
  return value as ServiceLogLevel;
}

/** The pino level of a Nest level list (its most verbose member); `false` is silent. */
export function logLevelOf(levels: false | readonly LogLevel[]): ServiceLogLevel {
  if (levels === false || levels.length === 0) return 'silent';
  const order: Array<[LogLevel, ServiceLogLevel]> = [
    ['verbose', 'trace'],
    ['debug', 'debug'],
    ['log', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['fatal', 'fatal'],
  ];
  return order.find(([nest]) => levels.includes(nest))?.[1] ?? 'silent';
}

export interface ServiceLoggerOptions {
  /** e.g. "enlace-node-MX": the `service` field of every line. */
  readonly service: string;
  /** Default: logLevelFromEnv(). */
  readonly level?: ServiceLogLevel;
  /** Where lines go (default stdout); tests pass a stream to read them. */
  readonly destination?: NodeJS.WritableStream;
}

export interface ServiceLogger {
  readonly pino: Logger;
  /** Nest's logger, writing through `pino`. */
  readonly nest: LoggerService;
  /** Express middleware: one line per request, after the request id middleware. */
  readonly http: HttpLogger<ServiceRequest, ServerResponse>;
}

/** A Nest LoggerService on a pino logger (the last optional parameter Nest passes is the context). */
class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context =
      params.length > 0 && typeof params[params.length - 1] === 'string' ? params.pop() : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'string') {
      // Nest passes an error's stack as the second parameter of error().
      const stack = level === 'error' && typeof params[0] === 'string' ? params[0] : undefined;
      this.logger[level](stack === undefined ? fields : { ...fields, stack }, message);
    } else this.logger[level]({ ...fields, value: message }, 'log');
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}

/** The logger of one service instance. */
export function createServiceLogger(options: ServiceLoggerOptions): ServiceLogger {
  const level = options.level ?? logLevelFromEnv();
  const logger = pino(
    {
      level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: the serializers below never include headers.
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'req.headers.cookie', 'headers.cookie'],
        censor: '[redacted]',
      },
    },
    ...(options.destination === undefined ? [] : [options.destination]),
  );
  const http = pinoHttp<ServiceRequest, ServerResponse>({
    logger,
    genReqId: (req) => req.requestId ?? requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    customLogLevel: (_req, res, error) =>
      error !== undefined || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string }) => ({
        id: req.id,
        method: req.method,
        // The path only: a query may hold search terms.
        path: (req.url ?? '').split('?')[0],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    quietReqLogger: true,
  });
  return { pino: logger, nest: new PinoNestLogger(logger), http };
}
