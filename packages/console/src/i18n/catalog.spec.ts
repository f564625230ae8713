// Complete translations: every key of every namespace exists, non-empty, in en, es, fr and pt,
// with the same interpolation variables and component tags (OpenCTI #10972: untranslated strings).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const LOCALES = join(import.meta.dirname, 'locales');
const LANGUAGES = ['en', 'es', 'fr', 'pt'];

type Catalog = { readonly [key: string]: string | Catalog };

function flatten(catalog: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const load = (language: string, namespace: string): Map<string, string> =>
  flatten(JSON.parse(readFileSync(join(LOCALES, language, `${namespace}.json`), 'utf8')) as Catalog);

/** `{{count}}`-style variables and `<0>`-style component tags a translation must keep. */
const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{\{\s*(\w+)\s*\}\}|<(\/?\d+)>/g)].map((m) => m[1] ?? m[2] ?? '').sort();

describe('console catalogs', () => {
  const namespaces = readdirSync(join(LOCALES, 'en')).map((f) => f.replace(/\.json$/, ''));

  it('have the same files in every language', () => {
    for (const language of LANGUAGES)
      expect(readdirSync(join(LOCALES, language)).sort(), language).toEqual(
        namespaces.map((n) => `${n}.json`).sort(),
      );
  });

  for (const namespace of namespaces)
    it(`${namespace}: every key in every language, non-empty, same placeholders`, () => {
      const english = load('en', namespace);
      for (const language of LANGUAGES.slice(1)) {
        const other = load(language, namespace);
        const missing = [...english.keys()].filter((k) => !other.has(k));
        const extra = [...other.keys()].filter((k) => !english.has(k));
        expect(missing, `${language}/${namespace}.json lacks`).toEqual([]);
        expect(extra, `${language}/${namespace}.json has keys English lacks`).toEqual([]);
        for (const [key, text] of other) {
          expect(text.trim(), `${language}/${namespace}.json ${key}`).not.toBe('');
          expect(placeholders(text), `${language}/${namespace}.json ${key}`).toEqual(
            placeholders(english.get(key) ?? ''),
          );
        }
      }
    });
});
