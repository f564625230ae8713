import { describe, expect, it } from 'vitest';

import {
  ENUM_VALUES,
  HANDLING_CODES,
  credibilityWord,
  enumWord,
  formatInstant,
  formatNumber,
  gradingInWords,
  handlingWords,
  reliabilityWord,
  translatedEnum,
} from './format.js';

const LANGUAGES = ['en', 'es', 'fr', 'pt'] as const;

describe('console formatting', () => {
  it('says the Admiralty grading in words', () => {
    expect(
      gradingInWords({
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationCredibility: 'INFORMATION_CREDIBILITY_2',
      }),
    ).toBe('B2: source usually reliable, information probably true');
    expect(gradingInWords(undefined)).toBe('not graded');
    expect(gradingInWords({ sourceReliability: 'SOURCE_RELIABILITY_UNSPECIFIED' })).toBe('not graded');
  });

  it('says the grading in each language', () => {
    const b2 = {
      sourceReliability: 'SOURCE_RELIABILITY_B',
      informationCredibility: 'INFORMATION_CREDIBILITY_2',
    };
    expect(gradingInWords(b2, 'es')).toBe('B2: fuente normalmente fiable, información probablemente cierta');
    expect(gradingInWords(b2, 'fr')).toBe('B2: source habituellement fiable, information probablement vraie');
    expect(gradingInWords(b2, 'pt')).toBe(
      'B2: fonte normalmente confiável, informação provavelmente verdadeira',
    );
    expect(gradingInWords(undefined, 'pt')).toBe('não avaliado');
    for (const language of LANGUAGES)
      for (const code of ['A', 'B', 'C', 'D', 'E', 'F'])
        expect(reliabilityWord(code, language), `${language} ${code}`).not.toBe(code);
    expect(credibilityWord('6', 'fr')).toBe('véracité impossible à évaluer');
  });

  it('says each handling code in the glossary words of each language, what the reader may do with it', () => {
    expect(handlingWords('H2', 'es')?.title).toBe('H2 — sin difusión ulterior sin consentimiento');
    expect(handlingWords('H1', 'fr')?.title).toBe('H1 — pas d’usage judiciaire sans consentement');
    expect(handlingWords('H2', 'pt')?.title).toBe('H2 — vedada a difusão posterior sem consentimento');
    expect(handlingWords('H2')?.may).toContain("without the originator's consent");
    // An unknown language reads English; an unknown code has no words.
    expect(handlingWords('H0', 'de')?.title).toBe('H0 — purpose-limited use');
    expect(handlingWords('H9', 'es')).toBeUndefined();
    for (const language of LANGUAGES)
      for (const code of HANDLING_CODES)
        expect(handlingWords(code, language)?.may, `${language} ${code}`).toBeTruthy();
  });

  it('turns enum names into words in each language, falling back to the English words', () => {
    expect(enumWord('CROSSING_TYPE_INFORMAL', 'CROSSING_TYPE')).toBe('informal');
    expect(enumWord('TRANSPORT_MODE_RIVER_RAFT', 'TRANSPORT_MODE')).toBe('river raft');
    expect(enumWord('CROSSING_TYPE_INFORMAL', 'CROSSING_TYPE', 'es')).toBe('no habilitado');
    expect(enumWord('DOCUMENT_TYPE_PASSPORT', 'DOCUMENT_TYPE', 'fr')).toBe('passeport');
    expect(enumWord('ENTITY_ROLE_MONEY_MULE', 'ENTITY_ROLE', 'pt')).toBe('mula financeira');
    expect(enumWord('LINK_RELATION_BRIBES', 'LINK_RELATION', 'es')).toBe('soborna a');
    expect(enumWord('SECURITY_FEATURE_UV_FEATURES', 'SECURITY_FEATURE', 'es')).toBe(
      'elementos fluorescentes UV',
    );
    expect(enumWord('SECURITY_FEATURE_UV_FEATURES', 'SECURITY_FEATURE')).toBe('uv features');
    // A value no table has (a newer schema): the English words, never the raw enum name.
    expect(enumWord('SECURITY_FEATURE_NANO_TEXT', 'SECURITY_FEATURE', 'fr')).toBe('nano text');
    // Every value a form offers has words in every language.
    for (const values of Object.values(ENUM_VALUES))
      for (const value of values)
        for (const language of ['es', 'fr', 'pt'])
          expect(translatedEnum(value, language), `${language} ${value}`).toBeTruthy();
    expect(ENUM_VALUES.documentType).toHaveLength(12);
    expect(ENUM_VALUES.entityRole).toHaveLength(12);
    expect(ENUM_VALUES.linkRelation).toHaveLength(9);
    expect(ENUM_VALUES.securityFeature).toHaveLength(17);
  });

  it('writes instants and numbers in the reader’s locale', () => {
    expect(formatInstant('2026-11-02T10:00:00Z')).toBe('Nov 2, 2026, 10:00 AM UTC');
    expect(formatInstant('2026-11-02T10:00:00Z', 'es')).toBe('2 nov 2026, 10:00 UTC');
    expect(formatInstant('not a date')).toBe('not a date');
    expect(formatNumber(10_000)).toBe('10,000');
    expect(formatNumber(10_000, 'es')).toBe('10.000');
  });
});
