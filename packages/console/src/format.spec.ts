import { describe, expect, it } from 'vitest';

import { enumWord, formatInstant, gradingInWords } from './format.js';

describe('console formatting', () => {
  it('says the Admiralty grading in words', () => {
    expect(
      gradingInWords({
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationCredibility: 'INFORMATION_CREDIBILITY_2',
      }),
    ).toBe('B2: source usually reliable, information probably true');
    expect(gradingInWords(undefined)).toBe('not graded');
  });

  it('turns enum names into words and instants into UTC dates', () => {
    expect(enumWord('CROSSING_TYPE_INFORMAL', 'CROSSING_TYPE')).toBe('informal');
    expect(enumWord('TRANSPORT_MODE_RIVER_RAFT', 'TRANSPORT_MODE')).toBe('river raft');
    expect(formatInstant('2026-11-02T10:00:00Z')).toBe('Nov 2, 2026, 10:00 AM UTC');
  });
});
