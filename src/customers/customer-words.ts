import type { Customer } from './customer.entity';

/**
 * The words a keyword search looks up (README, "Listing and searching customers"): table
 * `customer_words`, one row per (merchant, word, customer). In general it only picks candidates;
 * the search still checks every keyword on the customer's row, so a word here may be looser than
 * the check (lower-cased here for every script, longer words cut short) but never miss one the
 * check finds. For a plain keyword (plainKeyword) the table's answer is the check's, and the
 * search trusts it.
 */

/** Columns whose words a keyword matches the start of (phone by its digits, as one word). */
export const KEYWORD_COLUMNS = [
  'id',
  'firstname',
  'lastname',
  'email',
  'company',
  'notes',
  'reference',
  'phone',
] as const;

/** Whether a column's words are in the word table. */
export function isKeywordColumn(column: string): column is (typeof KEYWORD_COLUMNS)[number] {
  return (KEYWORD_COLUMNS as readonly string[]).includes(column);
}

/** What separates words in a stored value: whitespace and the punctuation of email addresses and ids. */
export const WORD_SEPARATORS = [' ', '.', '@', '-', '_', '+', '\t', '\n', '\r'];

/** The same separators, in a keyword (spaces already are). */
export const KEYWORD_SEPARATORS = /[.@\-_+\t\n\r]/g;

/** A keyword that reads as (part of) a phone number: digits, spaces and - . ( ) +. */
export const PHONE_LIKE = /^[\d\s().+-]+$/;

/** Characters of the word table's column, at most: a longer word is stored cut to this. */
export const MAX_WORD_LENGTH = 32;

const SPLIT = new RegExp(`[${WORD_SEPARATORS.map((c) => (c === '-' ? '\\-' : c)).join('')}]+`);

/**
 * The word to look up when a keyword can be answered from the word table alone: one keyword of
 * ASCII letters and digits only, no longer than the table's words. Then "a word of the customer
 * starts with it" is exactly "a stored word starts with it": no separator to span two words, ASCII
 * lower-cases the same in JavaScript and in SQL, a stored word cut to MAX_WORD_LENGTH still starts
 * with every keyword that short, and a keyword of digits that starts the phone's digits starts its
 * stored digits word. Undefined for any other keyword.
 */
export function plainKeyword(raw: string): string | undefined {
  return /^[A-Za-z0-9]+$/.test(raw) && raw.length <= MAX_WORD_LENGTH ? raw.toLowerCase() : undefined;
}

export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/**
 * Lower-cased one character at a time (so the word of a longer text starts with the word of its
 * start, which whole-string rules such as Greek final sigma break) and cut to MAX_WORD_LENGTH
 * characters (code points, never half a surrogate pair).
 */
export function normalizeWord(text: string): string {
  let out = '';
  let n = 0;
  // Counted after lower-casing: İ becomes two code points.
  for (const ch of text) {
    for (const lower of ch.toLowerCase()) {
      if (n++ === MAX_WORD_LENGTH) return out;
      out += lower;
    }
  }
  return out;
}

/** The distinct words of a customer: its keyword columns split at the separators, phone as its digits. */
export function wordsOf(c: Pick<Customer, (typeof KEYWORD_COLUMNS)[number]>): Set<string> {
  const words = new Set<string>();
  for (const column of KEYWORD_COLUMNS) {
    const value = c[column];
    if (value === null || value === undefined || value === '') continue;
    if (column === 'phone') {
      const digits = digitsOf(value);
      if (digits !== '') words.add(normalizeWord(digits));
      continue;
    }
    for (const part of value.split(SPLIT)) if (part !== '') words.add(normalizeWord(part));
  }
  return words;
}

/**
 * What a keyword's matches have in the word table: a word starting with one of these prefixes.
 * The text's matches have a word starting with each part of the keyword (its pieces between
 * separators); the longest part is taken. A keyword of digits that matches phone numbers also
 * finds the phone's digits. Empty when the keyword has nothing to look up (all separators).
 */
export function keywordPrefixes(raw: string): string[] {
  // Split exactly where stored values are split (not at other whitespace, which a word may hold).
  const parts = raw
    .replace(KEYWORD_SEPARATORS, ' ')
    .split(/ +/)
    .filter((p) => p !== '');
  if (parts.length === 0) return [];
  const longest = parts.reduce((a, b) => ([...b].length > [...a].length ? b : a));
  const prefixes = [normalizeWord(longest)];
  const digits = digitsOf(raw);
  if (digits !== '' && PHONE_LIKE.test(raw)) {
    const phone = normalizeWord(digits);
    // A prefix that starts with another finds a subset of its words: keep the shorter one.
    if (!phone.startsWith(prefixes[0])) {
      if (prefixes[0].startsWith(phone)) prefixes[0] = phone;
      else prefixes.push(phone);
    }
  }
  return prefixes;
}

/** The words to add and to remove when a customer's keyword columns change from `before` to `after`. */
export function wordChanges(before: Set<string>, after: Set<string>): { added: string[]; removed: string[] } {
  return {
    added: [...after].filter((w) => !before.has(w)),
    removed: [...before].filter((w) => !after.has(w)),
  };
}
