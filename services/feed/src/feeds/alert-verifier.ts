/**
 * The feed service checks every alert exactly as a receiving node does (DESIGN.md trust model 3,
^ * @enlace/trust verifyInbound), for the feed's country, against the registry's signed state at
 * the time JetStream stored it. It holds no country's private keys: restricted bodies stay encrypted
 * (`bodyReadable` false) and are delivered as they are.
 */
import type { JsMsg } from '@nats-io/jetstream';

import { DEFAULT_TIME_RULE, storedTimeOf, verifyInbound } from '@enlace/trust';
import type { TimeRule, TrustState, VerifiedAlert } from '@enlace/trust';

import { FeedError } from '../errors.js';

export class AlertVerifier {
  /** `timeRule`: bounds of issued_at around the time JetStream stored a message (time-rule.ts). */
  constructor(
    private readonly trust: TrustState,
    readonly timeRule: TimeRule = DEFAULT_TIME_RULE,
  ) {}

  /** Waits up to `timeoutMs` for a first verified registry snapshot; false when none came. */
  async ready(timeoutMs: number): Promise<boolean> {
    return (await this.trust.whenAvailable(timeoutMs)) !== undefined;
  }

  /**
   * Whether `country` may receive anything now: false while it is suspended or withdrawn (or
   * unknown) in the registry. Feeds of such a country stop pulling rather than have every alert
   * refused and lost to them; they resume where they stopped on reinstatement.
   */
  mayReceiveNow(country: string): boolean {
    const status = this.trust.current()?.policy.statusAt(country, new Date());
    return status === 'member' || status === 'observer';
  }

  /**
   * Verifies a message of the alerts stream for `country`, judged at the time JetStream stored
   * it (`info`); throws RejectMessage with the reason.
   */
  async verify(
    msg: Pick<JsMsg, 'subject' | 'data' | 'headers'> & { readonly info?: JsMsg['info'] },
    country: string,
  ): Promise<VerifiedAlert> {
    const view = this.trust.current();
    if (view === undefined) throw new FeedError('ERR_UNAVAILABLE', 'no verified registry snapshot yet');
    const msgId = msg.headers?.get('Nats-Msg-Id');
    return verifyInbound(
      {
        subject: msg.subject,
        data: msg.data,
        storedAt: storedTimeOf(msg),
        ...(msgId !== undefined && msgId !== '' && { msgId }),
      },
      {
        country,
        trust: view,
        trustAt: (at) => this.trust.viewAt(at),
        encryptionKeys: undefined,
        timeRule: this.timeRule,
      },
    );
  }
}
