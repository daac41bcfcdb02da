import {
  keywordPrefixes,
  MAX_WORD_LENGTH,
  normalizeWord,
  plainKeyword,
  wordChanges,
  wordsOf,
} from './customer-words';

const none = {
  firstname: null,
  lastname: null,
  email: null,
  company: null,
  notes: null,
  reference: null,
  phone: null,
};

describe('customer words', () => {
  it('splits every keyword column at spaces and . @ - _ +, lower-cased and distinct; phone as its digits', () => {
    const words = wordsOf({
      ...none,
      id: '0f24db40-aaaa-4bbb-8ccc-123456789abc',
      firstname: 'John',
      lastname: 'Smith',
      email: 'John.Smith+news@Example.com',
      company: 'Smith & Co',
      notes: 'met at the\nsmithy\tfair',
      reference: 'CRM_42',
      phone: '+1 (407) 555-0100',
    });
    expect([...words].sort()).toEqual(
      [
        '0f24db40',
        'aaaa',
        '4bbb',
        '8ccc',
        '123456789abc',
        'john',
        'smith',
        'news',
        'example',
        'com',
        '&',
        'co',
        'met',
        'at',
        'the',
        'smithy',
        'fair',
        'crm',
        '42',
        '14075550100',
      ].sort(),
    );
  });

  it('keeps other punctuation and whitespace inside a word, as the search does', () => {
    expect([...wordsOf({ ...none, id: 'x', notes: '(407)\u00a0555 o’brien' })].sort()).toEqual(
      ['(407)\u00a0555', 'o’brien', 'x'].sort(),
    );
  });

  it('lower-cases one character at a time and cuts long words to MAX_WORD_LENGTH code points', () => {
    expect(normalizeWord('ΟΔΥΣ')).toBe('οδυσ');
    const long = '😀'.repeat(MAX_WORD_LENGTH + 5);
    expect([...normalizeWord(long)]).toHaveLength(MAX_WORD_LENGTH);
    expect(normalizeWord(long).startsWith(normalizeWord('😀😀'))).toBe(true);
    // İ lower-cases to two code points; the column holds MAX_WORD_LENGTH of them at most.
    expect([...normalizeWord('İ'.repeat(MAX_WORD_LENGTH))]).toHaveLength(MAX_WORD_LENGTH);
  });

  it.each([
    ['smith', ['smith']],
    ['John.Smithson', ['smithson']],
    ['  a  bc ', ['bc']],
    ['4075550100', ['4075550100']],
    // Parts 407 and 555; the digits 407555 start with the part 407, so 407 alone finds both.
    ['407-555', ['407']],
    ['(407) 555-01', ['(407)', '40755501']],
    ['+1 407', ['407', '1407']],
    ['..', []],
  ])('%j looks up the words starting with %j', (keyword, prefixes) => {
    expect(keywordPrefixes(keyword)).toEqual(prefixes);
  });

  it('a keyword longer than a stored word is looked up by its cut form', () => {
    const word = 'x'.repeat(MAX_WORD_LENGTH + 10);
    const [prefix] = keywordPrefixes(word);
    expect([...wordsOf({ ...none, id: 'i', notes: word })].some((w) => w.startsWith(prefix))).toBe(true);
  });

  it('an update adds and removes only the words that changed', () => {
    expect(wordChanges(new Set(['a', 'b', 'c']), new Set(['b', 'c', 'd']))).toEqual({
      added: ['d'],
      removed: ['a'],
    });
  });
});

describe('plainKeyword', () => {
  it('takes one run of ASCII letters and digits up to MAX_WORD_LENGTH, lower-cased', () => {
    expect(plainKeyword('Smith')).toBe('smith');
    expect(plainKeyword('1407555')).toBe('1407555');
    expect(plainKeyword('a'.repeat(MAX_WORD_LENGTH))).toBe('a'.repeat(MAX_WORD_LENGTH));
  });

  it('leaves every other keyword to the row checks', () => {
    for (const k of [
      'john.smith',
      'smith jr',
      '(407) 555',
      'Zoë',
      'İstanbul',
      'a'.repeat(MAX_WORD_LENGTH + 1),
      '',
      'a_b',
      '50%',
    ])
      expect(plainKeyword(k)).toBeUndefined();
  });
});
