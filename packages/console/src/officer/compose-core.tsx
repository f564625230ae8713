/**
 * What the three compose forms (route, document, network) share: the header fields (title,
 * summary, network, handling code and grading — both required —, expiry, restricted recipients),
 * the mapping of the node's 400 violations to the fields they name (by the schema's field paths,
 * e.g. header.recipients[1] or document.detections[0].quantity), and publishing — a new alert, or
 * the replacement of one this country published (supersede), prefilled from it.
 */
import { createContext, useContext, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { EnlaceHttpError } from '@enlace/client';
import type { AlertDetailJson, FieldViolation } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { CREDIBILITY_CODES, HANDLING_CODES, RELIABILITY_CODES, handlingWords } from '../format.js';
import type { AlertKindName } from '@enlace/client';

export interface HeaderDraft {
  title: string;
  summary: string;
  network: string;
  handling: string;
  handlingNote: string;
  reliability: string;
  credibility: string;
  /** YYYY-MM-DD: the alert expires at the end of that day (UTC). */
  expires: string;
  /** ISO 3166-1 alpha-2 codes, comma- or space-separated: the body is encrypted to them. */
  recipients: string;
}

type Json = Record<string, unknown>;
export const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
export const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
export const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/**
 * Whether the signed-in user may publish, supersede, retract, forward and acknowledge: they speak
 * as the country (signed with its key), so only its focal points (and the node refuses others).
 */
export function useFocalPoint(): boolean {
  return useShell().session.roles.includes('focal-point');
}

/** "GT, hn us" → ["GT", "HN", "US"]. */
export const countriesOf = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c !== '');

const KIND_ENUM: Readonly<Record<AlertKindName, string>> = {
  route: 'ALERT_KIND_ROUTE',
  document: 'ALERT_KIND_DOCUMENT',
  network: 'ALERT_KIND_NETWORK',
};

/** The proto3 JSON header the form describes. */
export function headerJsonOf(kind: AlertKindName, h: HeaderDraft): Json {
  const recipients = countriesOf(h.recipients);
  return {
    network: h.network.trim(),
    kind: KIND_ENUM[kind],
    ...(h.expires !== '' && { expiresAt: `${h.expires}T23:59:59Z` }),
    handling: `HANDLING_CODE_${h.handling}`,
    ...(h.handling === 'H3' && h.handlingNote.trim() !== '' && { handlingNote: h.handlingNote.trim() }),
    tlp: recipients.length > 0 ? 'TLP_MARKING_AMBER_STRICT' : 'TLP_MARKING_AMBER',
    grading: {
      sourceReliability: `SOURCE_RELIABILITY_${h.reliability}`,
      informationCredibility: `INFORMATION_CREDIBILITY_${h.credibility}`,
    },
    ...(recipients.length > 0 && { recipients }),
    title: h.title,
    summary: h.summary,
  };
}

const inNinetyDays = (): string => new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);

/** A blank header, or the header of the alert being superseded. */
export function headerDraftOf(original?: AlertDetailJson): HeaderDraft {
  if (original === undefined)
    return {
      title: '',
      summary: '',
      network: 'trafficking-liaison',
      handling: '',
      handlingNote: '',
      reliability: '',
      credibility: '',
      expires: inNinetyDays(),
      recipients: '',
    };
  const header = obj(original.alert['header']);
  const grading = obj(header['grading']);
  return {
    title: original.title,
    summary: str(header['summary']),
    network: original.network,
    handling: original.handling,
    handlingNote: str(header['handlingNote']),
    reliability: /_([A-F])$/.exec(str(grading['sourceReliability']))?.[1] ?? '',
    credibility: /_([1-6])$/.exec(str(grading['informationCredibility']))?.[1] ?? '',
    expires: original.expiresAt?.slice(0, 10) ?? inNinetyDays(),
    recipients: original.recipients.join(', '),
  };
}

export interface Violations {
  /** The messages at `path` (and, with `nested`, at any path under it). */
  errorAt(path: string, nested?: boolean): string | undefined;
  /** aria-invalid and aria-describedby for the control of `path`. */
  described(path: string, nested?: boolean): Record<string, unknown>;
}

const ViolationsContext = createContext<readonly FieldViolation[]>([]);

const under = (path: string, nested: boolean) => (v: FieldViolation) =>
  v.path === path || (nested && (v.path.startsWith(`${path}[`) || v.path.startsWith(`${path}.`)));

export function useViolations(): Violations {
  const violations = useContext(ViolationsContext);
  const errorAt = (path: string, nested = false): string | undefined =>
    violations
      .filter(under(path, nested))
      .map((v) => (v.path === path ? v.message : `${v.path}: ${v.message}`))
      .join('; ') || undefined;
  return {
    errorAt,
    described: (path, nested = false) =>
      errorAt(path, nested) === undefined ? {} : { 'aria-invalid': true, 'aria-describedby': `err-${path}` },
  };
}

/** The node's message for `path`, next to its field. */
export function FieldError(props: { readonly path: string; readonly nested?: boolean }): ReactNode {
  const error = useViolations().errorAt(props.path, props.nested);
  return error === undefined ? null : (
    <span className="field-error" id={`err-${props.path}`} data-error-for={props.path}>
      {error}
    </span>
  );
}

export interface ComposeFormProps {
  readonly kind: AlertKindName;
  /** The field paths the body's own controls show (violations elsewhere are listed at the end). */
  readonly bodyPrefix: string;
  /** The body part of the draft: `{ route: {...} }`. */
  bodyJson(): Json;
  /** The alert this replaces (supersede): the header starts from it. */
  readonly supersedes?: AlertDetailJson;
  readonly children: ReactNode;
}

const HEADER_PATHS = [
  'header.title',
  'header.summary',
  'header.network',
  'header.expiresAt',
  'header.handlingNote',
  'header.recipients',
];

export function ComposeForm(props: ComposeFormProps): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { navigate, failed } = useShell();
  const [h, setH] = useState<HeaderDraft>(() => headerDraftOf(props.supersedes));
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set =
    (name: keyof HeaderDraft) =>
    (e: { target: { value: string } }): void =>
      setH((old) => ({ ...old, [name]: e.target.value }));

  const errorAt = (path: string, nested = false): string | undefined =>
    violations.filter(under(path, nested)).length > 0 ? path : undefined;
  const described = (path: string, nested = false) =>
    errorAt(path, nested) === undefined ? {} : { 'aria-invalid': true, 'aria-describedby': `err-${path}` };

  const publish = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setViolations([]);
    setMessage(undefined);
    setBusy(true);
    const draft = { header: headerJsonOf(props.kind, h), ...props.bodyJson() };
    try {
      const published =
        props.supersedes === undefined
          ? await nodeClient.alerts.publish(draft)
          : await nodeClient.alerts.supersede(props.supersedes.id, draft);
      navigate(`alerts/${published.id}`);
    } catch (e) {
      if (e instanceof EnlaceHttpError && e.violations.length > 0) {
        setViolations(e.violations);
        setMessage(t('compose.notPublished', { n: e.violations.length }));
      } else setMessage(failed(e));
    } finally {
      setBusy(false);
    }
  };
  const others = violations.filter(
    (v) =>
      !v.path.startsWith(props.bodyPrefix) &&
      !HEADER_PATHS.some((p) => v.path === p || v.path.startsWith(`${p}[`)),
  );
  const heading =
    props.supersedes === undefined
      ? t(`compose.title.${props.kind}`)
      : t('compose.supersedeTitle', { title: props.supersedes.title });

  return (
    <ViolationsContext.Provider value={violations}>
      <form
        className="compose"
        onSubmit={(e) => void publish(e)}
        aria-labelledby="compose-title"
        noValidate
        data-kind={props.kind}
      >
        <h2 id="compose-title">{heading}</h2>
        <label htmlFor="c-title">{t('compose.fields.title')}</label>
        <input id="c-title" value={h.title} onChange={set('title')} {...described('header.title')} />
        <FieldError path="header.title" />
        <label htmlFor="c-summary">{t('compose.fields.summary')}</label>
        <textarea id="c-summary" rows={3} value={h.summary} onChange={set('summary')} />
        <FieldError path="header.summary" />
        <label htmlFor="c-network">{t('compose.fields.network')}</label>
        <input id="c-network" value={h.network} onChange={set('network')} {...described('header.network')} />
        <FieldError path="header.network" />
        <label htmlFor="c-handling">{t('compose.fields.handling')}</label>
        <select id="c-handling" value={h.handling} onChange={set('handling')} required>
          <option value="">{t('compose.choose')}</option>
          {HANDLING_CODES.map((code) => (
            <option key={code} value={code}>
              {handlingWords(code, i18n.language)?.title ?? code}
            </option>
          ))}
        </select>
        {h.handling === 'H3' && (
          <>
            <label htmlFor="c-handling-note">{t('compose.fields.handlingNote')}</label>
            <input
              id="c-handling-note"
              value={h.handlingNote}
              onChange={set('handlingNote')}
              {...described('header.handlingNote')}
            />
            <FieldError path="header.handlingNote" />
          </>
        )}
        <label htmlFor="c-reliability">{t('compose.fields.reliability')}</label>
        <select id="c-reliability" value={h.reliability} onChange={set('reliability')} required>
          <option value="">{t('compose.choose')}</option>
          {RELIABILITY_CODES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label htmlFor="c-credibility">{t('compose.fields.credibility')}</label>
        <select id="c-credibility" value={h.credibility} onChange={set('credibility')} required>
          <option value="">{t('compose.choose')}</option>
          {CREDIBILITY_CODES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <label htmlFor="c-expires">{t('compose.fields.expires')}</label>
        <input
          id="c-expires"
          type="date"
          value={h.expires}
          onChange={set('expires')}
          {...described('header.expiresAt')}
        />
        <FieldError path="header.expiresAt" />
        <label htmlFor="c-recipients">{t('compose.fields.recipients')}</label>
        <input
          id="c-recipients"
          value={h.recipients}
          onChange={set('recipients')}
          aria-describedby="c-recipients-hint"
          {...described('header.recipients', true)}
        />
        <span className="hint" id="c-recipients-hint">
          {t('compose.recipientsHint')}
        </span>
        <FieldError path="header.recipients" nested />
        {props.children}
        {others.map((v) => (
          <p className="field-error" key={`${v.path}-${v.code}`}>
            {v.path === '' ? t('compose.theAlert') : v.path}: {v.message}
          </p>
        ))}
        <button
          type="submit"
          disabled={busy || h.handling === '' || h.reliability === '' || h.credibility === ''}
        >
          {props.supersedes === undefined ? t('compose.publish') : t('compose.publishReplacement')}
        </button>
        {message !== undefined && (
          <p className="error" role="alert">
            {message}
          </p>
        )}
      </form>
    </ViolationsContext.Provider>
  );
}
