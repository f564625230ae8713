/**
 * Defines a feed. The feed service validates the definition (feed-definition.ts) and answers
 * every bad field with its JSON path; each violation is shown next to its field, and any other
 * below the form. Nothing is created unless the whole definition is valid.
 */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { EnlaceHttpError } from '@enlace/client';
import type { FeedDefinitionRequest, FieldViolation, SinkJson } from '@enlace/client';

import { feedClient } from '../api.js';
import { useShell } from '../app.js';

const KINDS = ['route', 'document', 'network'] as const;
type SinkType = SinkJson['type'];

/** The form's fields, by the API path prefix their violations carry. */
const FIELDS = [
  'name',
  'description',
  'filter.networks',
  'filter.kinds',
  'filter.origins',
  'start',
  'sink',
] as const;

const list = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function FeedForm(props: { readonly onCreated: () => Promise<void> }): ReactNode {
  const { t } = useTranslation('fiu');
  const { failed } = useShell();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [networks, setNetworks] = useState('');
  const [kinds, setKinds] = useState<readonly string[]>([]);
  const [origins, setOrigins] = useState('');
  const [financialOnly, setFinancialOnly] = useState(false);
  const [start, setStart] = useState('now');
  const [sinkType, setSinkType] = useState<SinkType>('file');
  const [target, setTarget] = useState('');
  const [secret, setSecret] = useState('');
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [message, setMessage] = useState<string | undefined>();

  const fieldOf = (path: string): string | undefined =>
    FIELDS.find((f) => path === f || path.startsWith(`${f}.`) || path.startsWith(`${f}[`));
  const at = (field: (typeof FIELDS)[number]) => violations.filter((v) => fieldOf(v.path) === field);
  const errorProps = (field: (typeof FIELDS)[number], id: string) =>
    at(field).length > 0 ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {};
  const shown = (field: (typeof FIELDS)[number], id: string) =>
    at(field).length > 0 && (
      <p className="violation" id={`${id}-error`}>
        {at(field)
          .map((v) => `${v.path}: ${v.message}`)
          .join('; ')}
      </p>
    );

  const sink = (): SinkJson =>
    sinkType === 'file'
      ? { type: 'file', directory: target.trim() }
      : sinkType === 'nats'
        ? { type: 'nats', subject: target.trim() }
        : { type: 'webhook', url: target.trim(), secret };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setViolations([]);
    setMessage(undefined);
    const definition: FeedDefinitionRequest = {
      name: name.trim(),
      ...(description.trim() !== '' && { description: description.trim() }),
      filter: {
        ...(list(networks).length > 0 && { networks: list(networks) }),
        ...(kinds.length > 0 && { kinds: kinds as (typeof KINDS)[number][] }),
        ...(list(origins).length > 0 && { origins: list(origins).map((o) => o.toUpperCase()) }),
        ...(financialOnly && { financialOnly }),
      },
      start,
      sink: sink(),
    };
    try {
      const created = await feedClient.feeds.create(definition);
      setMessage(t('form.created', { name: created.feed.name }));
      setName('');
      setDescription('');
      await props.onCreated();
    } catch (e) {
      if (e instanceof EnlaceHttpError && e.violations.length > 0) {
        setViolations(e.violations);
        setMessage(t('form.invalid', { count: e.violations.length }));
      } else setMessage(failed(e));
    }
  };

  const other = violations.filter((v) => fieldOf(v.path) === undefined);
  return (
    <form className="feed-form" onSubmit={(e) => void submit(e)} noValidate>
      <div className="field">
        <label htmlFor="feed-name">{t('form.name')}</label>
        <input
          id="feed-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          {...errorProps('name', 'feed-name')}
        />
        <small>{t('form.nameHint')}</small>
        {shown('name', 'feed-name')}
      </div>
      <div className="field">
        <label htmlFor="feed-description">{t('form.description')}</label>
        <input
          id="feed-description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          {...errorProps('description', 'feed-description')}
        />
        {shown('description', 'feed-description')}
      </div>
      <fieldset>
        <legend>{t('form.filter')}</legend>
        <div className="field">
          <label htmlFor="feed-networks">{t('form.networks')}</label>
          <input
            id="feed-networks"
            value={networks}
            onChange={(e) => setNetworks(e.target.value)}
            placeholder="fiu-exchange, liaison-officers"
            {...errorProps('filter.networks', 'feed-networks')}
          />
          {shown('filter.networks', 'feed-networks')}
        </div>
        <fieldset>
          <legend>{t('form.kinds')}</legend>
          {KINDS.map((k) => (
            <label key={k}>
              <input
                type="checkbox"
                checked={kinds.includes(k)}
                onChange={(e) =>
                  setKinds((old) => (e.target.checked ? [...old, k] : old.filter((x) => x !== k)))
                }
              />{' '}
              {t(`kind.${k}`)}
            </label>
          ))}
          {shown('filter.kinds', 'feed-kinds')}
        </fieldset>
        <div className="field">
          <label htmlFor="feed-origins">{t('form.origins')}</label>
          <input
            id="feed-origins"
            value={origins}
            onChange={(e) => setOrigins(e.target.value)}
            placeholder="MX, CR"
            {...errorProps('filter.origins', 'feed-origins')}
          />
          {shown('filter.origins', 'feed-origins')}
        </div>
        <label>
          <input
            type="checkbox"
            checked={financialOnly}
            onChange={(e) => setFinancialOnly(e.target.checked)}
          />{' '}
          {t('form.financialOnly')}
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor="feed-start">{t('form.start')}</label>
        <select
          id="feed-start"
          value={start}
          onChange={(e) => setStart(e.target.value)}
          {...errorProps('start', 'feed-start')}
        >
          <option value="now">{t('form.startNow')}</option>
          <option value="beginning">{t('form.startBeginning')}</option>
        </select>
        {shown('start', 'feed-start')}
      </div>
      <fieldset>
        <legend>{t('form.sink')}</legend>
        <div className="field">
          <label htmlFor="feed-sink-type">{t('form.sinkType')}</label>
          <select
            id="feed-sink-type"
            value={sinkType}
            onChange={(e) => setSinkType(e.target.value as SinkType)}
          >
            <option value="file">{t('sink.file')}</option>
            <option value="nats">{t('sink.nats')}</option>
            <option value="webhook">{t('sink.webhook')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="feed-sink-target">{t(`form.target.${sinkType}`)}</label>
          <input
            id="feed-sink-target"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            {...errorProps('sink', 'feed-sink-target')}
          />
          {shown('sink', 'feed-sink-target')}
        </div>
        {sinkType === 'webhook' && (
          <div className="field">
            <label htmlFor="feed-sink-secret">{t('form.secret')}</label>
            <input
              id="feed-sink-secret"
              type="password"
              autoComplete="off"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
            />
          </div>
        )}
      </fieldset>
      {other.map((v) => (
        <p className="violation" key={`${v.path}-${v.code}`}>
          {v.path === '' ? t('form.definition') : v.path}: {v.message}
        </p>
      ))}
      <button type="submit">{t('form.create')}</button>
      {message !== undefined && (
        <p
          role={violations.length > 0 ? 'alert' : 'status'}
          className={violations.length > 0 ? 'error' : undefined}
        >
          {message}
        </p>
      )}
    </form>
  );
}
