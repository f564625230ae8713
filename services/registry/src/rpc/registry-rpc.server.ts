/**
 * The registry's NATS RPC server: Nest's built-in NATS transport (ServerNats), run on the
 * registry's own connection when it is given one, and quiet about the connection going away
 * while it closes.
 *
 * Nest 12's NATS options have no way to pass an existing connection (ServerNats always connects
 * itself), but its transport is a public class whose `createNatsClient` a strategy may override:
 * this one hands it the registry core's connection, so the registry holds one NATS connection,
 * and on close unsubscribes its handlers and lets replies in flight go out without closing that
 * connection (its owner drains it last). It also logs connection status its own way: a lost
 * connection is a warning (the client reconnects by itself), not an error, and nothing at all is
 * logged once closing has begun.
 */
import type { NatsConnection, Status, Subscription, SubscriptionOptions } from '@nats-io/transport-node';
import { ServerNats } from '@nestjs/microservices';
import type { NatsOptions } from '@nestjs/microservices';

export type RegistryRpcServerOptions = Required<NatsOptions>['options'];

/** What ServerNats#bindEvents uses of its client. */
interface Subscriber {
  subscribe(subject: string, options?: SubscriptionOptions): Subscription;
}

/** A status iterator of @nats-io (a QueuedIterator) can be stopped; AsyncIterable does not say so. */
type StatusIterable = AsyncIterable<Status> & { stop?: () => void };

export class RegistryRpcServer extends ServerNats {
  private readonly handlerSubscriptions: Subscription[] = [];
  private statusIterable: StatusIterable | undefined;
  private closing = false;

  /** `connection`: the connection to serve on, which stays open on close; without it, its own. */
  constructor(
    private readonly rpcOptions: RegistryRpcServerOptions,
    private readonly connection?: NatsConnection,
  ) {
    super(rpcOptions);
  }

  override async createNatsClient(): Promise<NatsConnection> {
    if (this.connection === undefined) return (await super.createNatsClient()) as NatsConnection;
    if (this.connection.isClosed())
      throw new Error('the NATS connection given to the registry RPC is closed');
    return this.connection;
  }

  override bindEvents(client: Subscriber): void {
    // Keep the subscriptions (ServerNats keeps its own privately) to end them on close.
    const tracking: Subscriber = {
      subscribe: (subject, options) => {
        const subscription = client.subscribe(subject, options);
        this.handlerSubscriptions.push(subscription);
        return subscription;
      },
    };
    super.bindEvents(tracking);
  }

  override async handleStatusUpdates(client: NatsConnection): Promise<void> {
    const statuses = client.status() as StatusIterable;
    this.statusIterable = statuses;
    for await (const status of statuses) {
      if (this.closing) continue;
      switch (status.type) {
        case 'disconnect':
          this.logger.warn?.(`registry RPC lost its NATS connection to ${status.server}; reconnecting`);
          this._status$.next('disconnected' as never);
          break;
        case 'reconnecting':
          this._status$.next('reconnecting' as never);
          break;
        case 'reconnect':
          this.logger.log(`registry RPC reconnected to NATS at ${status.server}`);
          this._status$.next('connected' as never);
          break;
        case 'error':
          this.logger.error(`registry RPC NATS connection error: ${status.error.message}`);
          break;
        default:
          break;
      }
    }
  }

  override async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.statusIterable?.stop?.();
    if (this.connection === undefined) {
      await super.close();
      return;
    }
    for (const subscription of this.handlerSubscriptions.splice(0)) {
      if (!subscription.isClosed()) subscription.unsubscribe();
    }
    // Replies to requests already taken go out on the connection, which its owner drains later.
    await new Promise((resolve) => setTimeout(resolve, this.rpcOptions.gracePeriod ?? 100));
  }
}
