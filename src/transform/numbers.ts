import { expected, shown, ValueError } from './value-error.js';

const INT64_MAX_DIGITS = '9223372036854775807';
const INT64_MIN_DIGITS = '9223372036854775808';
/** Exponents beyond this are not hours or ids; refusing them keeps `1e999999` from becoming a megabyte of zeros. */
const MAX_EXPONENT = 400;
/** PostgreSQL's numeric holds at most this many digits before the point, and after it. */
const NUMERIC_MAX_WHOLE_DIGITS = 131_072;
const NUMERIC_MAX_FRACTION_DIGITS = 16_383;
const ID_EXPECTED = 'a whole-number id';
const DECIMAL_EXPECTED = 'a number such as 2.5 or 2,5';

/** An id as a decimal bigint string: `123`, `"123"`, `" 123 "`, `"123.0"`; commas are not thousands separators. */
export function parseId(raw: unknown): string | null | ValueError {
  if (typeof raw === 'number') return idFromNumber(raw);
  if (typeof raw === 'bigint') return idFromDigits(raw < 0n, (raw < 0n ? -raw : raw).toString(), raw);
  if (typeof raw !== 'string') return expected(ID_EXPECTED, raw);
  const s = raw.trim();
  if (s === '') return null;
  const signed = s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43 ? 1 : 0;
  const end = digitsEnd(s, signed);
  if (end === signed) return expected(ID_EXPECTED, raw);
  if (end < s.length && !isZeroFraction(s, end)) return expected(ID_EXPECTED, raw);
  return idFromDigits(s.charCodeAt(0) === 45, s.slice(signed, end), raw);
}

function idFromNumber(n: number): string | ValueError {
  if (!Number.isInteger(n)) return expected(ID_EXPECTED, n);
  // Past 2^53 a JSON number has already lost digits; storing it would store a different id.
  if (!Number.isSafeInteger(n)) return new ValueError(`id ${n} is too large to be exact as a number; send it as text`);
  return String(n);
}

function idFromDigits(negative: boolean, digits: string, raw: unknown): string | ValueError {
  const significant = stripLeadingZeros(digits);
  const limit = negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS;
  const tooLong = significant.length > limit.length;
  if (tooLong || (significant.length === limit.length && significant > limit)) {
    return new ValueError(`id outside the 64-bit range: ${shown(raw)}`);
  }
  return negative && significant !== '0' ? '-' + significant : significant;
}

/** `.0`, `.00`…: an id exported from a spreadsheet as a float. */
function isZeroFraction(s: string, dot: number): boolean {
  if (s.charCodeAt(dot) !== 46 || dot + 1 === s.length) return false;
  for (let i = dot + 1; i < s.length; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/**
 * A canonical decimal string: no exponent, no leading or trailing zeros, `.` as the separator
 * (`"2,50"` → `2.5`, `1e3` → `1000`), so equal numbers always hash the same.
 */
export function parseDecimal(raw: unknown): string | null | ValueError {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return expected(DECIMAL_EXPECTED, raw);
    return Number.isSafeInteger(raw) ? String(raw) : decimalFromText(String(raw), raw);
  }
  if (typeof raw === 'bigint') return raw.toString();
  if (typeof raw !== 'string') return expected(DECIMAL_EXPECTED, raw);
  const s = raw.trim();
  return s === '' ? null : decimalFromText(s, raw);
}

/** Scans sign, digits, one `.` or `,`, digits, optional exponent. */
function decimalFromText(s: string, raw: unknown): string | ValueError {
  const negative = s.charCodeAt(0) === 45;
  const intStart = negative || s.charCodeAt(0) === 43 ? 1 : 0;
  const intEnd = digitsEnd(s, intStart);
  const hasSeparator = s.charCodeAt(intEnd) === 46 || s.charCodeAt(intEnd) === 44;
  const fracStart = hasSeparator ? intEnd + 1 : intEnd;
  const fracEnd = digitsEnd(s, fracStart);
  if (intEnd === intStart && fracEnd === fracStart) return expected(DECIMAL_EXPECTED, raw);
  const exponent = fracEnd === s.length ? 0 : parseExponent(s, fracEnd);
  if (Number.isNaN(exponent)) return expected(DECIMAL_EXPECTED, raw);
  const text = canonicalDecimal(negative, s.slice(intStart, intEnd), s.slice(fracStart, fracEnd), exponent);
  // Past these the COPY into a numeric column would fail, and with it the whole view's load.
  const digits = text.charCodeAt(0) === 45 ? text.length - 1 : text.length;
  const point = text.indexOf('.');
  const fraction = point === -1 ? 0 : text.length - point - 1;
  const whole = digits - fraction - (point === -1 ? 0 : 1);
  if (whole > NUMERIC_MAX_WHOLE_DIGITS || fraction > NUMERIC_MAX_FRACTION_DIGITS) {
    return new ValueError(`number has more digits than PostgreSQL's numeric can hold: ${shown(raw)}`);
  }
  return text;
}

/** `e`/`E`, optional sign, digits, to the end of the string; NaN when not that or too large. */
function parseExponent(s: string, at: number): number {
  if ((s.charCodeAt(at) | 0x20) !== 101) return NaN;
  const sign = s.charCodeAt(at + 1) === 45 ? -1 : 1;
  const from = s.charCodeAt(at + 1) === 45 || s.charCodeAt(at + 1) === 43 ? at + 2 : at + 1;
  const end = digitsEnd(s, from);
  if (end === from || end !== s.length || end - from > 4) return NaN;
  const exponent = sign * Number(s.slice(from, end));
  return Math.abs(exponent) > MAX_EXPONENT ? NaN : exponent;
}

function canonicalDecimal(negative: boolean, intDigits: string, fracDigits: string, exponent: number): string {
  let whole = intDigits;
  let fraction = fracDigits;
  if (exponent !== 0) {
    const all = intDigits + fracDigits;
    const point = intDigits.length + exponent;
    whole = point <= 0 ? '' : point >= all.length ? all + '0'.repeat(point - all.length) : all.slice(0, point);
    fraction = point <= 0 ? '0'.repeat(-point) + all : point >= all.length ? '' : all.slice(point);
  }
  whole = stripLeadingZeros(whole);
  fraction = stripTrailingZeros(fraction);
  const text = fraction === '' ? whole : whole + '.' + fraction;
  return negative && text !== '0' ? '-' + text : text;
}

/**
 * A plain unsigned number (`900`, `0.375`, `45658.5`) from trimmed text, for serial dates and clock
 * times; NaN for anything else (signs, exponents, commas).
 */
export function plainNumber(s: string): number {
  const intEnd = digitsEnd(s, 0);
  if (intEnd === s.length) return intEnd === 0 ? NaN : Number(s);
  if (s.charCodeAt(intEnd) !== 46) return NaN;
  const fracEnd = digitsEnd(s, intEnd + 1);
  const hasDigits = intEnd > 0 || fracEnd > intEnd + 1;
  return hasDigits && fracEnd === s.length ? Number(s) : NaN;
}

function digitsEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

function stripLeadingZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return digits.length === 0 ? '0' : i === 0 ? digits : digits.slice(i);
}

function stripTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return end === digits.length ? digits : digits.slice(0, end);
}
