/**
 * Compose and publish (or supersede with) a document alert: the shared header of compose-core,
 * the document (type, issuing country, kind of fraud, series, number patterns — never a full
 * number) and where it was detected. The node's violations show at their fields.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertDetailJson } from '@enlace/client';

import { useShell } from '../app.js';
import { ENUM_VALUES, enumWord } from '../format.js';
import { ComposeForm, FieldError, arr, countriesOf, obj, str, useViolations } from './compose-core.js';

interface DetectionDraft {
  country: string;
  place: string;
  point: string;
  /** YYYY-MM-DD */
  date: string;
  quantity: string;
}

interface DocumentDraft {
  documentType: string;
  issuingCountry: string;
  fraudType: string;
  series: string;
  /** Comma- or space-separated, e.g. "A01######, G12*". */
  patterns: string;
  detections: DetectionDraft[];
}

const today = (): string => new Date().toISOString().slice(0, 10);
const blankDetection = (country: string): DetectionDraft => ({
  country,
  place: '',
  point: 'DETECTION_POINT_LAND_BORDER',
  date: today(),
  quantity: '1',
});

/** The document part of the proto3 JSON draft. */
export function documentBodyOf(d: DocumentDraft): Record<string, unknown> {
  return {
    document: {
      documentType: d.documentType,
      issuingCountry: d.issuingCountry.trim().toUpperCase(),
      fraudType: d.fraudType,
      series: d.series,
      numberPatterns: countriesOf(d.patterns),
      detections: d.detections.map((x) => ({
        country: x.country.trim().toUpperCase(),
        place: x.place,
        point: x.point,
        ...(x.date !== '' && { detectedAt: `${x.date}T12:00:00Z` }),
        quantity: Number(x.quantity),
      })),
    },
  };
}

function documentOf(original: AlertDetailJson | undefined, country: string): DocumentDraft {
  const doc = obj(original?.alert['document']);
  const detections = arr(doc['detections']).map((x) => ({
    country: str(x['country']),
    place: str(x['place']),
    point: str(x['point']) || 'DETECTION_POINT_OTHER',
    date: str(x['detectedAt']).slice(0, 10),
    quantity: str(x['quantity']) || '1',
  }));
  return {
    documentType: str(doc['documentType']) || 'DOCUMENT_TYPE_PASSPORT',
    issuingCountry: str(doc['issuingCountry']),
    fraudType: str(doc['fraudType']) || 'FRAUD_TYPE_COUNTERFEIT',
    series: str(doc['series']),
    patterns: (Array.isArray(doc['numberPatterns']) ? (doc['numberPatterns'] as string[]) : []).join(', '),
    detections: detections.length > 0 ? detections : [blankDetection(country)],
  };
}

function DocumentFields(props: {
  readonly d: DocumentDraft;
  set(change: Partial<DocumentDraft>): void;
}): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { described } = useViolations();
  const { d } = props;
  const setDetection = (i: number, field: keyof DetectionDraft, value: string): void =>
    props.set({ detections: d.detections.map((x, j) => (j === i ? { ...x, [field]: value } : x)) });
  const options = (values: readonly string[], prefix: string): ReactNode =>
    values.map((v) => (
      <option key={v} value={v}>
        {enumWord(v, prefix, i18n.language)}
      </option>
    ));
  return (
    <fieldset>
      <legend>{t('compose.document.legend')}</legend>
      <label htmlFor="d-type">{t('compose.document.type')}</label>
      <select
        id="d-type"
        value={d.documentType}
        onChange={(e) => props.set({ documentType: e.target.value })}
        {...described('document.documentType')}
      >
        {options(ENUM_VALUES.documentType, 'DOCUMENT_TYPE')}
      </select>
      <FieldError path="document.documentType" />
      <label htmlFor="d-issuing">{t('compose.document.issuingCountry')}</label>
      <input
        id="d-issuing"
        size={3}
        maxLength={2}
        value={d.issuingCountry}
        onChange={(e) => props.set({ issuingCountry: e.target.value })}
        {...described('document.issuingCountry')}
      />
      <FieldError path="document.issuingCountry" />
      <label htmlFor="d-fraud">{t('compose.document.fraudType')}</label>
      <select
        id="d-fraud"
        value={d.fraudType}
        onChange={(e) => props.set({ fraudType: e.target.value })}
        {...described('document.fraudType')}
      >
        {options(ENUM_VALUES.fraudType, 'FRAUD_TYPE')}
      </select>
      <FieldError path="document.fraudType" />
      <label htmlFor="d-series">{t('compose.document.series')}</label>
      <input
        id="d-series"
        value={d.series}
        onChange={(e) => props.set({ series: e.target.value })}
        {...described('document.series')}
      />
      <FieldError path="document.series" />
      <label htmlFor="d-patterns">{t('compose.document.patterns')}</label>
      <input
        id="d-patterns"
        value={d.patterns}
        onChange={(e) => props.set({ patterns: e.target.value })}
        {...described('document.numberPatterns', true)}
      />
      <FieldError path="document.numberPatterns" nested />
      <fieldset>
        <legend>{t('compose.document.detections')}</legend>
        {d.detections.map((x, i) => {
          const p = `document.detections[${i}]`;
          const n = i + 1;
          return (
            <div className="waypoint-row" key={i}>
              <label htmlFor={`x${i}-place`}>{t('compose.document.detectionPlace', { n })}</label>
              <input
                id={`x${i}-place`}
                value={x.place}
                onChange={(e) => setDetection(i, 'place', e.target.value)}
                {...described(`${p}.place`)}
              />
              <FieldError path={`${p}.place`} />
              <label htmlFor={`x${i}-country`}>{t('compose.document.detectionCountry', { n })}</label>
              <input
                id={`x${i}-country`}
                size={3}
                maxLength={2}
                value={x.country}
                onChange={(e) => setDetection(i, 'country', e.target.value)}
                {...described(`${p}.country`)}
              />
              <FieldError path={`${p}.country`} />
              <label htmlFor={`x${i}-point`}>{t('compose.document.detectionPoint', { n })}</label>
              <select
                id={`x${i}-point`}
                value={x.point}
                onChange={(e) => setDetection(i, 'point', e.target.value)}
                {...described(`${p}.point`)}
              >
                {options(ENUM_VALUES.detectionPoint, 'DETECTION_POINT')}
              </select>
              <FieldError path={`${p}.point`} />
              <label htmlFor={`x${i}-date`}>{t('compose.document.detectedOn', { n })}</label>
              <input
                id={`x${i}-date`}
                type="date"
                value={x.date}
                onChange={(e) => setDetection(i, 'date', e.target.value)}
                {...described(`${p}.detectedAt`)}
              />
              <FieldError path={`${p}.detectedAt`} />
              <label htmlFor={`x${i}-quantity`}>{t('compose.document.quantity', { n })}</label>
              <input
                id={`x${i}-quantity`}
                inputMode="numeric"
                size={5}
                value={x.quantity}
                onChange={(e) => setDetection(i, 'quantity', e.target.value)}
                {...described(`${p}.quantity`)}
              />
              <FieldError path={`${p}.quantity`} />
            </div>
          );
        })}
        <FieldError path="document.detections" />
        <button
          type="button"
          onClick={() =>
            props.set({
              detections: [
                ...d.detections,
                blankDetection(d.detections[d.detections.length - 1]?.country ?? ''),
              ],
            })
          }
        >
          {t('compose.document.addDetection')}
        </button>
      </fieldset>
      <FieldError path="document" />
    </fieldset>
  );
}

export function ComposeDocument(props: { readonly supersedes?: AlertDetailJson }): ReactNode {
  const { session } = useShell();
  const [d, setD] = useState<DocumentDraft>(() => documentOf(props.supersedes, session.country ?? ''));
  return (
    <ComposeForm
      kind="document"
      bodyPrefix="document"
      bodyJson={() => documentBodyOf(d)}
      {...(props.supersedes !== undefined && { supersedes: props.supersedes })}
    >
      <DocumentFields d={d} set={(change) => setD((old) => ({ ...old, ...change }))} />
    </ComposeForm>
  );
}
