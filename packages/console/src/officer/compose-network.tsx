/**
 * Compose and publish (or supersede with) a network alert: the shared header of compose-core,
 * the network's members under pseudonyms (never a real identity) with their roles, the links
 * between them, where it operates and how. The node's violations show at their fields.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertDetailJson } from '@enlace/client';

import { ENUM_VALUES, enumWord } from '../format.js';
import { ComposeForm, FieldError, arr, countriesOf, obj, str, useViolations } from './compose-core.js';

interface EntityDraft {
  pseudonym: string;
  roles: string[];
  countries: string;
}
interface LinkDraft {
  from: string;
  relation: string;
  to: string;
}
interface NetworkDraft {
  entities: EntityDraft[];
  links: LinkDraft[];
  countries: string;
  modusOperandi: string;
}

const blankEntity = (): EntityDraft => ({ pseudonym: '', roles: [], countries: '' });
const blankLink = (): LinkDraft => ({ from: '', relation: 'LINK_RELATION_DIRECTS', to: '' });
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** The network part of the proto3 JSON draft. */
export function networkBodyOf(n: NetworkDraft): Record<string, unknown> {
  return {
    network: {
      entities: n.entities.map((e) => ({
        pseudonym: e.pseudonym.trim(),
        roles: e.roles,
        countries: countriesOf(e.countries),
      })),
      links: n.links
        .filter((l) => l.from.trim() !== '' || l.to.trim() !== '')
        .map((l) => ({ from: l.from.trim(), to: l.to.trim(), relation: l.relation })),
      countriesOfOperation: countriesOf(n.countries),
      modusOperandi: n.modusOperandi,
    },
  };
}

function networkOf(original: AlertDetailJson | undefined): NetworkDraft {
  const net = obj(original?.alert['network']);
  const entities = arr(net['entities']).map((e) => ({
    pseudonym: str(e['pseudonym']),
    roles: strings(e['roles']),
    countries: strings(e['countries']).join(', '),
  }));
  const links = arr(net['links']).map((l) => ({
    from: str(l['from']),
    relation: str(l['relation']) || 'LINK_RELATION_DIRECTS',
    to: str(l['to']),
  }));
  return {
    entities: entities.length > 0 ? entities : [blankEntity(), blankEntity()],
    links: links.length > 0 ? links : [blankLink()],
    countries: strings(net['countriesOfOperation']).join(', '),
    modusOperandi: str(net['modusOperandi']),
  };
}

function NetworkFields(props: {
  readonly n: NetworkDraft;
  set(change: Partial<NetworkDraft>): void;
}): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { described } = useViolations();
  const { n } = props;
  const setEntity = (i: number, change: Partial<EntityDraft>): void =>
    props.set({ entities: n.entities.map((e, j) => (j === i ? { ...e, ...change } : e)) });
  const setLink = (i: number, change: Partial<LinkDraft>): void =>
    props.set({ links: n.links.map((l, j) => (j === i ? { ...l, ...change } : l)) });
  return (
    <fieldset>
      <legend>{t('compose.network.legend')}</legend>
      <fieldset>
        <legend>{t('compose.network.entities')}</legend>
        <p className="hint">{t('compose.network.pseudonymsOnly')}</p>
        {n.entities.map((e, i) => {
          const p = `network.entities[${i}]`;
          const k = i + 1;
          return (
            <div className="waypoint-row" key={i}>
              <label htmlFor={`e${i}-pseudonym`}>{t('compose.network.pseudonym', { n: k })}</label>
              <input
                id={`e${i}-pseudonym`}
                value={e.pseudonym}
                onChange={(ev) => setEntity(i, { pseudonym: ev.target.value })}
                {...described(`${p}.pseudonym`)}
              />
              <FieldError path={`${p}.pseudonym`} />
              <label htmlFor={`e${i}-roles`}>{t('compose.network.roles', { n: k })}</label>
              <select
                id={`e${i}-roles`}
                multiple
                size={4}
                value={e.roles}
                onChange={(ev) => setEntity(i, { roles: [...ev.target.selectedOptions].map((o) => o.value) })}
                {...described(`${p}.roles`, true)}
              >
                {ENUM_VALUES.entityRole.map((v) => (
                  <option key={v} value={v}>
                    {enumWord(v, 'ENTITY_ROLE', i18n.language)}
                  </option>
                ))}
              </select>
              <FieldError path={`${p}.roles`} nested />
              <label htmlFor={`e${i}-countries`}>{t('compose.network.entityCountries', { n: k })}</label>
              <input
                id={`e${i}-countries`}
                value={e.countries}
                onChange={(ev) => setEntity(i, { countries: ev.target.value })}
                {...described(`${p}.countries`, true)}
              />
              <FieldError path={`${p}.countries`} nested />
              <FieldError path={p} />
            </div>
          );
        })}
        <FieldError path="network.entities" />
        <button type="button" onClick={() => props.set({ entities: [...n.entities, blankEntity()] })}>
          {t('compose.network.addEntity')}
        </button>
      </fieldset>
      <fieldset>
        <legend>{t('compose.network.links')}</legend>
        {n.links.map((l, i) => {
          const p = `network.links[${i}]`;
          const k = i + 1;
          return (
            <div className="waypoint-row" key={i}>
              <label htmlFor={`l${i}-from`}>{t('compose.network.linkFrom', { n: k })}</label>
              <input
                id={`l${i}-from`}
                value={l.from}
                onChange={(ev) => setLink(i, { from: ev.target.value })}
                {...described(`${p}.from`)}
              />
              <FieldError path={`${p}.from`} />
              <label htmlFor={`l${i}-relation`}>{t('compose.network.linkRelation', { n: k })}</label>
              <select
                id={`l${i}-relation`}
                value={l.relation}
                onChange={(ev) => setLink(i, { relation: ev.target.value })}
                {...described(`${p}.relation`)}
              >
                {ENUM_VALUES.linkRelation.map((v) => (
                  <option key={v} value={v}>
                    {enumWord(v, 'LINK_RELATION', i18n.language)}
                  </option>
                ))}
              </select>
              <FieldError path={`${p}.relation`} />
              <label htmlFor={`l${i}-to`}>{t('compose.network.linkTo', { n: k })}</label>
              <input
                id={`l${i}-to`}
                value={l.to}
                onChange={(ev) => setLink(i, { to: ev.target.value })}
                {...described(`${p}.to`)}
              />
              <FieldError path={`${p}.to`} />
              <FieldError path={p} />
            </div>
          );
        })}
        <FieldError path="network.links" />
        <button type="button" onClick={() => props.set({ links: [...n.links, blankLink()] })}>
          {t('compose.network.addLink')}
        </button>
      </fieldset>
      <label htmlFor="n-countries">{t('compose.network.countriesOfOperation')}</label>
      <input
        id="n-countries"
        value={n.countries}
        onChange={(ev) => props.set({ countries: ev.target.value })}
        {...described('network.countriesOfOperation', true)}
      />
      <FieldError path="network.countriesOfOperation" nested />
      <label htmlFor="n-modus">{t('compose.network.modusOperandi')}</label>
      <textarea
        id="n-modus"
        rows={4}
        value={n.modusOperandi}
        onChange={(ev) => props.set({ modusOperandi: ev.target.value })}
        {...described('network.modusOperandi')}
      />
      <FieldError path="network.modusOperandi" />
      <FieldError path="network" />
    </fieldset>
  );
}

export function ComposeNetwork(props: { readonly supersedes?: AlertDetailJson }): ReactNode {
  const [n, setN] = useState<NetworkDraft>(() => networkOf(props.supersedes));
  return (
    <ComposeForm
      kind="network"
      bodyPrefix="network"
      bodyJson={() => networkBodyOf(n)}
      {...(props.supersedes !== undefined && { supersedes: props.supersedes })}
    >
      <NetworkFields n={n} set={(change) => setN((old) => ({ ...old, ...change }))} />
    </ComposeForm>
  );
}
