/** Words for the codes the alerts carry: handling codes, Admiralty grading, kinds, dates. */

export const HANDLING_WORDS: Readonly<Record<string, { readonly title: string; readonly may: string }>> = {
  H0: { title: 'H0 — purpose-limited use', may: 'Use only for the purpose it was shared for.' },
  H1: {
    title: 'H1 — not for judicial proceedings without consent',
    may: "You may use it for intelligence; not as evidence in judicial proceedings without the originator's consent.",
  },
  H2: {
    title: 'H2 — no onward dissemination without consent',
    may: "You may read and act on it here; do not pass it on to anyone else without the originator's consent.",
  },
  H3: { title: 'H3 — other restrictions', may: 'Read the restrictions stated in the alert before any use.' },
};

const RELIABILITY: Readonly<Record<string, string>> = {
  A: 'completely reliable',
  B: 'usually reliable',
  C: 'fairly reliable',
  D: 'not usually reliable',
  E: 'unreliable',
  F: 'reliability cannot be judged',
};
const CREDIBILITY: Readonly<Record<string, string>> = {
  '1': 'confirmed by other sources',
  '2': 'probably true',
  '3': 'possibly true',
  '4': 'doubtful',
  '5': 'improbable',
  '6': 'truth cannot be judged',
};

/** "B2: source usually reliable, information probably true" from the proto3 JSON enum names. */
export function gradingInWords(
  grading: { sourceReliability?: string; informationCredibility?: string } | undefined,
): string {
  if (grading === undefined) return 'not graded';
  const source = /_([A-F])$/.exec(grading.sourceReliability ?? '')?.[1];
  const info = /_([1-6])$/.exec(grading.informationCredibility ?? '')?.[1];
  if (source === undefined || info === undefined) return 'not graded';
  return `${source}${info}: source ${RELIABILITY[source]}, information ${CREDIBILITY[info]}`;
}

/** "CROSSING_TYPE_INFORMAL" → "informal". */
export function enumWord(value: string | undefined, prefix: string): string {
  if (value === undefined) return '';
  return value
    .replace(new RegExp(`^${prefix}_`), '')
    .toLowerCase()
    .replaceAll('_', ' ');
}

export function formatInstant(text: string | undefined, locale = 'en'): string {
  if (text === undefined) return '';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  return (
    new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
      date,
    ) + ' UTC'
  );
}
