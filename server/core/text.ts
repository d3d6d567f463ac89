/**
 * The one rule for text that enters the application (REST bodies, query strings, path parameters, tRPC
 * inputs, the sign-in form): no NUL or other control character, no unpaired surrogate. PostgreSQL refuses
 * U+0000 in text and jsonb, and a lone surrogate in jsonb; without this rule such input reached the
 * database and answered 500. Refused input is a 422 naming the field.
 *
 * Control characters are C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F). Multi-line text
 * (descriptions, reasons, notes, file contents) may also hold tab, line feed and carriage return.
 *
 * Every string field of every input schema is built from `safeText()` or `multilineText()` (or is a UUID
 * or an enum), and every free-form JSON value from `jsonValue()`: server/api/text-rule.test.ts walks
 * every route's and procedure's schema and fails on a field without the rule.
 */
import { z } from 'zod';

export const CONTROL_CHARACTER = 'contains a control character';
export const UNPAIRED_SURROGATE = 'contains an unpaired surrogate';

// Without the `u` flag a regex sees UTF-16 code units, so lone surrogates are visible to it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export interface TextRuleOptions {
  /** Allow tab, line feed and carriage return (multi-line text). Default false. */
  multiline?: boolean;
}

/** Why the text breaks the rule, or null when it is fine. */
export function textProblem(value: string, options: TextRuleOptions = {}): string | null {
  if ((options.multiline ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE).test(value)) return CONTROL_CHARACTER;
  if (LONE_SURROGATE.test(value)) return UNPAIRED_SURROGATE;
  return null;
}

/**
 * The first string (object key or value, at any depth) of a JSON-like value that breaks the single-line
 * rule: its dotted path below `path` and the reason; null when there is none.
 */
export function findTextProblem(value: unknown, path: string[] = []): { path: string[]; message: string } | null {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? { path, message } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findTextProblem(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) return { path, message: `has a key that ${keyProblem}` };
      const found = findTextProblem(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

// The checks are singletons so that a test can see which schemas carry them (server/api/text-rule.test.ts).

/** Single-line text: no control character at all, no unpaired surrogate. */
export const SINGLE_LINE_TEXT_CHECK = z.superRefine((value: string, ctx) => {
  const message = textProblem(value);
  if (message) ctx.addIssue({ code: 'custom', message, input: value });
});

/** Multi-line text: tab, LF and CR allowed; other control characters and unpaired surrogates not. */
export const MULTI_LINE_TEXT_CHECK = z.superRefine((value: string, ctx) => {
  const message = textProblem(value, { multiline: true });
  if (message) ctx.addIssue({ code: 'custom', message, input: value });
});

/** Any JSON value: every string and object key in it, at any depth, is single-line text. */
export const JSON_TEXT_CHECK = z.superRefine((value: unknown, ctx) => {
  const found = findTextProblem(value);
  if (found) ctx.addIssue({ code: 'custom', message: found.message, path: found.path, input: value });
});

type StringParams = Parameters<typeof z.string>[0];

/** A single-line text field: `safeText({ error: 'must be a string' }).trim().min(1).max(64)`. */
export function safeText(params?: StringParams) {
  return z.string(params).check(SINGLE_LINE_TEXT_CHECK);
}

/** A multi-line text field (descriptions, reasons, notes, file contents): tab and newlines allowed. */
export function multilineText(params?: StringParams) {
  return z.string(params).check(MULTI_LINE_TEXT_CHECK);
}

/** A free-form JSON value (parameter values, candle rows) whose strings and keys obey the single-line rule. */
export function jsonValue() {
  return z.unknown().check(JSON_TEXT_CHECK);
}
