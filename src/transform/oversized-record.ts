/**
 * Follows a record too large to read (past OTC_MAX_RECORD_BYTES) byte by byte as it streams past, keeping
 * only its first bytes and its short top-level values: enough to quarantine it with its key, never a
 * string or object of its size.
 */

import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, isWhitespace } from './json-bytes.js';
import { KEPT_RAW_BYTES, UnreadableRecord, escapeBytes } from './unreadable-record.js';

/** Longest member name or value (bytes of JSON) kept; key fields are far shorter. */
const MEMBER_MAX_BYTES = 1024;
/** Most members kept: a record with a million tiny fields must not grow a million-entry object. */
const MEMBERS_MAX = 500;

export class OversizedRecord {
  private readonly head = Buffer.alloc(KEPT_RAW_BYTES);
  private headLength = 0;
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** At the record's top level: reading a member's name, or its value. */
  private part: 'name' | 'value' = 'name';
  private token: number[] = [];
  private tokenTooLong = false;
  private name: string | null = null;
  private readonly fields: Record<string, unknown> = Object.create(null);
  private kept = 0;

  feed(bytes: Uint8Array): void {
    this.size += bytes.length;
    if (this.headLength < KEPT_RAW_BYTES) {
      const take = bytes.subarray(0, KEPT_RAW_BYTES - this.headLength);
      this.head.set(take, this.headLength);
      this.headLength += take.length;
    }
    const n = bytes.length;
    for (let i = 0; i < n; ) {
      if (this.inString && !this.escaped && (this.depth !== 1 || this.tokenTooLong)) {
        // Inside a value we do not keep (the huge one, usually): only a quote or backslash matters.
        while (i < n && bytes[i] !== QUOTE && bytes[i] !== BACKSLASH) i++;
        if (i === n) break;
      }
      this.step(bytes[i++]!);
    }
  }

  /** The record as its place in the batch holds it: a reject with its size, first bytes and key. */
  finish(maxRecordBytes: number): UnreadableRecord {
    const reason = `record is ${this.size} bytes, more than OTC_MAX_RECORD_BYTES=${maxRecordBytes}; it was not read`;
    return new UnreadableRecord(reason, escapeBytes(this.head.subarray(0, this.headLength), this.size), this.fields);
  }

  private step(byte: number): void {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (byte === BACKSLASH) this.escaped = true;
      else if (byte === QUOTE) this.inString = false;
      this.keep(byte);
      return;
    }
    if (byte === QUOTE) {
      this.inString = true;
      this.keep(byte);
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      // A nested value is never one of the short values we keep.
      if (this.depth === 1) this.tokenTooLong = true;
      this.depth++;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      this.depth--;
      if (this.depth === 0) this.endMember();
    } else if (this.depth === 1 && byte === COLON && this.part === 'name') {
      this.name = this.tokenText();
      this.part = 'value';
      this.resetToken();
    } else if (this.depth === 1 && byte === COMMA) {
      this.endMember();
    } else if (!isWhitespace(byte)) {
      this.keep(byte);
    }
  }

  private keep(byte: number): void {
    if (this.depth !== 1 || this.tokenTooLong) return;
    if (this.token.length >= MEMBER_MAX_BYTES) {
      this.tokenTooLong = true;
      return;
    }
    this.token.push(byte);
  }

  private endMember(): void {
    if (this.part === 'value' && this.name !== null && this.kept < MEMBERS_MAX) {
      const text = this.tokenText();
      if (text !== null) {
        try {
          this.fields[this.name] = JSON.parse(text) as unknown;
          this.kept++;
        } catch {
          // Not a value we can read: the key simply stays unknown.
        }
      }
    }
    this.part = 'name';
    this.name = null;
    this.resetToken();
  }

  /** The token read so far as JSON text decoded (a name unquoted), or null when it was cut or unreadable. */
  private tokenText(): string | null {
    if (this.tokenTooLong) return null;
    const text = Buffer.from(this.token).toString('utf8');
    if (this.part === 'value') return text;
    try {
      const name = JSON.parse(text) as unknown;
      return typeof name === 'string' ? name : null;
    } catch {
      return null;
    }
  }

  private resetToken(): void {
    this.token = [];
    this.tokenTooLong = false;
  }
}
