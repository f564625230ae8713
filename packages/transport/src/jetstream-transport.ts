/**
 * JetStreamTransport: a NestJS custom transport strategy that feeds `@EventPattern` handlers from
 * one durable JetStream pull consumer (Nest's own NATS transport is core NATS only, so it loses
 * whatever arrives while a service is down).
 *
 * One transport binds one consumer (consumeDurable() underneath). Each message goes to the
 * `@EventPattern(pattern)` handler whose pattern matches the message subject with NATS wildcard
 * semantics (`*` one token, `>` the rest); when several match, an exact pattern wins, then the
 * one with more literal tokens, then the first registered. The handler receives the raw message
 * bytes as its payload (`@Payload() envelope: Uint8Array`) and a JetStreamContext (`@Ctx()`)
 * with the subject, headers, alert id (`Nats-Msg-Id`) and delivery count.
 *
 * The outcome follows consumeDurable(): resolve → ack; throw or return a RejectMessage → term,
 * `onRejected`; any other error → nak with backoff, and `onDeadLetter` after the last delivery.
 * A subject no handler matches is an error (ERR_NO_HANDLER): redelivered, then dead-lettered,
 * so a deployment missing a handler loses nothing silently. Delivery is at least once; handlers
 * must be idempotent on the alert id. `@MessagePattern` (request/reply) is not served here.
 */
import { EventEmitter } from 'node:events';

import type { ConsumerInfo, JsMsg } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import type { CustomTransportStrategy, MessageHandler } from '@nestjs/microservices';
import { BaseRpcContext, EventPattern, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';

import type { ConsumerCounters, DeadLetter, RejectedMessage } from './consume.js';
import type { DurableConsumer, DurableConsumerOptions } from './consume-durable.js';
import { consumeDurable } from './consume-durable.js';
import { isRejectMessage } from './reject-message.js';
import { subjectMatches } from './subjects.js';
import { TransportError } from './transport-error.js';

/** The transport id Nest records for handlers bound to this strategy. */
export const JETSTREAM_TRANSPORT = Symbol.for('enlace.jetstream');

/**
 * `@EventPattern(pattern)` bound to JetStreamTransport only (so that in a hybrid application the
 * core-NATS transport does not subscribe to alert subjects too), typed for handlers that take
 * `(@Payload() envelope: Uint8Array, @Ctx() ctx: JetStreamContext)`. Plain `@EventPattern` works
 * as well; it binds the handler to every transport of the application.
 */
export function JetStreamEventPattern(pattern: string, extras?: Record<string, unknown>): MethodDecorator {
  return EventPattern<string>(pattern, JETSTREAM_TRANSPORT, extras ?? {});
}

/** Options of JetStreamTransport. */
export interface JetStreamTransportOptions {
  /**
   * A connection to use (left open by close()), or options to open one (drained by close()).
   */
  readonly connection: NatsConnection | NodeConnectionOptions;
  /** The durable consumer this transport binds, with its hooks. */
  readonly consumer: DurableConsumerOptions;
}

/** Events a JetStreamTransport emits (`app.on(...)` or `transport.on(...)`). */
export interface JetStreamTransportEvents extends Record<string, (...args: never[]) => unknown> {
  rejected: (event: RejectedMessage) => void;
  dead_letter: (event: DeadLetter) => void;
  error: (error: unknown) => void;
}

/** What a JetStream event handler gets as `@Ctx()`. */
export class JetStreamContext extends BaseRpcContext<[JsMsg]> {
  /** The JetStream message (for its headers, sequence numbers, or a manual `working()`). */
  getMessage(): JsMsg {
    return this.args[0];
  }

  getSubject(): string {
    return this.args[0].subject;
  }

  getHeaders(): MsgHdrs | undefined {
    return this.args[0].headers;
  }

  /** The `Nats-Msg-Id` header: the alert id the publisher set. */
  getMsgId(): string | undefined {
    return this.args[0].headers?.get('Nats-Msg-Id') || undefined;
  }

  /** 1 on the first delivery. */
  getDeliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }

  getStreamSequence(): number {
    return this.args[0].seq;
  }
}

export class JetStreamTransport extends Server<JetStreamTransportEvents> implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;
  /** Handler failures come back to dispatch() (ack, term or nak), not to Nest's logger. */
  override readonly propagatesEventHandlerErrors = true;

  readonly #options: JetStreamTransportOptions;
  readonly #events = new EventEmitter();
  #connection: NatsConnection | undefined;
  #ownsConnection = false;
  #consumer: DurableConsumer | undefined;
  /** subject → matching handler key (bounded: subjects come from publishers). */
  readonly #routes = new Map<string, string | null>();

  constructor(options: JetStreamTransportOptions) {
    super();
    this.#options = options;
    // Without a listener, EventEmitter throws on 'error'.
    this.#events.on('error', () => undefined);
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    this.#start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  /** Stops pulling, lets running handlers finish, then drains the connection if this transport opened it. */
  async close(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.close();
    const nc = this.#connection;
    this.#connection = undefined;
    if (nc !== undefined && this.#ownsConnection && !nc.isClosed()) {
      await nc.drain().catch((err: unknown) => this.#events.emit('error', err));
    }
    this.#events.removeAllListeners();
    this.#events.on('error', () => undefined);
    this._status$.next('disconnected');
  }

  on<K extends keyof JetStreamTransportEvents>(event: K, callback: JetStreamTransportEvents[K]): void {
    this.#events.on(event as string, callback as (...args: unknown[]) => void);
  }

  /** The NATS connection, once listening. */
  unwrap<T>(): T {
    if (this.#connection === undefined) {
      throw new TransportError('ERR_CONSUMER_CLOSED', 'JetStreamTransport is not listening');
    }
    return this.#connection as T;
  }

  /** Counters of the bound consumer (all zero before listen()). */
  counters(): ConsumerCounters {
    return (
      this.#consumer?.counters() ?? {
        received: 0,
        acked: 0,
        termed: 0,
        naked: 0,
        rejected: 0,
        deadLettered: 0,
        failed: 0,
        ackUnconfirmed: 0,
      }
    );
  }

  /** The consumer as the server described it when listening began. */
  consumerInfo(): ConsumerInfo | undefined {
    return this.#consumer?.info;
  }

  async #start(): Promise<void> {
    const { connection, consumer } = this.#options;
    if (isConnection(connection)) {
      this.#connection = connection;
    } else {
      this.#connection = await connect(connection);
      this.#ownsConnection = true;
    }
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) {
        this.logger.warn?.(
          `JetStreamTransport serves @EventPattern only; ignoring @MessagePattern(${pattern})`,
        );
      }
    }
    this.#routes.clear();
    try {
      this.#consumer = await consumeDurable(
        jetstream(this.#connection),
        {
          ...consumer,
          onRejected: async (event) => {
            this.#events.emit('rejected', event);
            await consumer.onRejected?.(event);
          },
          onDeadLetter: async (event) => {
            this.#events.emit('dead_letter', event);
            await consumer.onDeadLetter?.(event);
          },
          onError: (error, msg) => {
            this.#events.emit('error', error);
            if (consumer.onError !== undefined) consumer.onError(error, msg);
            else this.logger.warn?.(`message ${msg?.subject ?? ''} #${msg?.seq ?? '?'}: ${describe(error)}`);
          },
        },
        (msg) => this.#dispatch(msg),
      );
      this._status$.next('connected');
    } catch (err) {
      if (this.#ownsConnection) await this.#connection.close().catch(() => undefined);
      this.#connection = undefined;
      throw err;
    }
  }

  /** Runs the matching handler; resolves with what it returned, rejects with what it threw. */
  async #dispatch(msg: JsMsg): Promise<unknown> {
    const route = this.#route(msg.subject);
    const handler = route === null ? undefined : this.messageHandlers.get(route);
    if (handler === undefined) {
      throw new TransportError('ERR_NO_HANDLER', `no @EventPattern handler matches ${msg.subject}`);
    }
    const context = new JetStreamContext([msg]);
    const outcome = await new Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>(
      (resolve) => {
        void this.onProcessingStartHook(this.transportId, context, async () => {
          const runEndHook = this.createProcessingEndHookRunner(context);
          try {
            resolve({ ok: true, value: await invoke(handler, msg.data, context) });
          } catch (error) {
            resolve({ ok: false, error });
          } finally {
            runEndHook();
          }
        });
      },
    );
    if (outcome.ok) return outcome.value;
    if (isRejectMessage(outcome.error) || outcome.error instanceof Error) throw outcome.error;
    // Nest's exception filter turns unknown errors into `{ status, message }`.
    throw new TransportError(
      'ERR_HANDLER_FAILED',
      `handler for ${msg.subject} failed: ${describe(outcome.error)}`,
      {
        cause: outcome.error,
      },
    );
  }

  #route(subject: string): string | null {
    const cached = this.#routes.get(subject);
    if (cached !== undefined) return cached;
    let best: { key: string; literals: number; exact: boolean } | undefined;
    for (const [key, handler] of this.messageHandlers) {
      if (!handler.isEventHandler || !subjectMatches(key, subject)) continue;
      const tokens = key.split('.');
      const candidate = {
        key,
        exact: key === subject,
        literals: tokens.filter((t) => t !== '*' && t !== '>').length,
      };
      if (
        best === undefined ||
        (candidate.exact && !best.exact) ||
        (candidate.exact === best.exact && candidate.literals > best.literals)
      ) {
        best = candidate;
      }
    }
    const route = best?.key ?? null;
    if (this.#routes.size < 10_000) this.#routes.set(subject, route);
    return route;
  }
}

async function invoke(
  handler: MessageHandler,
  data: Uint8Array,
  context: JetStreamContext,
): Promise<unknown> {
  const result: unknown = await handler(data, context);
  if (isObservable(result)) return lastValueFrom(result, { defaultValue: undefined });
  return result;
}

function isConnection(value: NatsConnection | NodeConnectionOptions): value is NatsConnection {
  return typeof (value as Partial<NatsConnection>).publish === 'function';
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
