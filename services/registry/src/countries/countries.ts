/**
 * The countries aggregate (`country.<CC>`): admission, suspension, reinstatement and withdrawal,
 * each a transition of the country's status history (./country-status.ts) that leaves a valid
 * policy snapshot. Countries are never removed.
 */
import { fieldRefusal } from '../domain/errors.js';
import type { CommandContext, CountryRecord } from '../domain/model.js';
import { admitCountryInputSchema, statusChangeInputSchema } from '../domain/schemas.js';
import type { AdmitCountryInput, StatusChangeInput } from '../domain/service.js';
import { parseInput } from '../domain/validation.js';
import type { CommandPipeline } from '../command-pipeline.js';
import { idText, inputField } from '../command-pipeline.js';
import type { Policy } from '../policy/policy.js';
import type { RegistryView } from '../registry-view.js';
import { stateKeys } from '../registry-view.js';
import { applyStatusCommand, newCountry } from './country-status.js';
import type { StatusCommand } from './country-status.js';

export class Countries {
  constructor(
    private readonly view: RegistryView,
    private readonly pipeline: CommandPipeline,
    private readonly policy: Policy,
  ) {}

  list(): readonly CountryRecord[] {
    return this.view.state().countries;
  }

  get(code: string): CountryRecord {
    const country = this.view.value<CountryRecord>(stateKeys.country(code));
    if (country === undefined) throw fieldRefusal('ERR_UNKNOWN_COUNTRY', 'code', `unknown country ${code}`);
    return country;
  }

  admit(input: AdmitCountryInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.pipeline.run(
      { action: 'country.admit', entity: 'country', entityId: idText(inputField(input, 'code')) },
      ctx,
      async (c) => {
        const i = parseInput(admitCountryInputSchema, input, 'country admission');
        const key = stateKeys.country(i.code);
        const applied = await this.pipeline.change<CountryRecord>(key, (current) => {
          const existing = current?.value as CountryRecord | undefined;
          const next =
            existing === undefined
              ? newCountry(i.code, i.names, i.status, i.effectiveAt ?? this.view.now(), c)
              : applyStatusCommand(
                  existing,
                  'admit',
                  { status: i.status, effectiveAt: i.effectiveAt, now: this.view.now() },
                  c,
                );
          this.policy.assertValidWith(key, next, 'country admission');
          return { write: true, value: next, result: next };
        });
        return { ...applied, entityId: i.code };
      },
    );
  }

  suspend(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.changeStatus('suspend', input, ctx);
  }

  reinstate(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.changeStatus('reinstate', input, ctx);
  }

  withdraw(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.changeStatus('withdraw', input, ctx);
  }

  private changeStatus(
    command: Exclude<StatusCommand, 'admit'>,
    input: StatusChangeInput,
    ctx: CommandContext,
  ): Promise<CountryRecord> {
    return this.pipeline.run(
      {
        action: `country.${command}`,
        entity: 'country',
        entityId: idText(inputField(input, 'code')),
        requireReason: command !== 'reinstate',
      },
      ctx,
      async (c) => {
        const i = parseInput(statusChangeInputSchema, input, `country ${command}`);
        const key = stateKeys.country(i.code);
        const applied = await this.pipeline.change<CountryRecord>(key, (current) => {
          const existing = current?.value as CountryRecord | undefined;
          if (existing === undefined)
            throw fieldRefusal('ERR_UNKNOWN_COUNTRY', 'code', `unknown country ${i.code}`);
          const next = applyStatusCommand(
            existing,
            command,
            { effectiveAt: i.effectiveAt, now: this.view.now() },
            c,
          );
          this.policy.assertValidWith(key, next, `country ${command}`);
          return { write: true, value: next, result: next };
        });
        return { ...applied, entityId: i.code };
      },
    );
  }
}
