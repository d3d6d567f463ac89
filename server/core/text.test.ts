import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONTROL_CHARACTER, UNPAIRED_SURROGATE, findTextProblem, jsonValue, multilineText, safeText, textProblem } from './text';

const C0 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i));
const C1 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i));
const MULTI_LINE_ALLOWED = ['\t', '\n', '\r'];

describe('textProblem', () => {
  it('refuses every C0 and C1 control character and DEL in single-line text', () => {
    for (const c of [...C0, '\u007f', ...C1]) expect(textProblem(`a${c}b`), `U+${c.charCodeAt(0).toString(16)}`).toBe(CONTROL_CHARACTER);
  });

  it('allows only tab, LF and CR in multi-line text', () => {
    for (const c of [...C0, '\u007f', ...C1]) {
      expect(textProblem(`a${c}b`, { multiline: true }), `U+${c.charCodeAt(0).toString(16)}`).toBe(MULTI_LINE_ALLOWED.includes(c) ? null : CONTROL_CHARACTER);
    }
  });

  it('refuses a lone high or low surrogate anywhere, and accepts a pair (an emoji)', () => {
    for (const s of ['\ud800', 'a\ud800', '\ud800a', '\udc00', 'a\udc00b', '\udc00\ud800', '😀\ud83d'])
      expect(textProblem(s), JSON.stringify(s)).toBe(UNPAIRED_SURROGATE);
    expect(textProblem('BTC/USDT 😀 ünïcödé — ok')).toBeNull();
  });
});

describe('the zod helpers', () => {
  it('name the problem as the field’s issue', () => {
    const schema = z.object({ name: safeText().max(10), notes: multilineText(), params: z.record(safeText(), jsonValue()) });
    const issues = schema.safeParse({ name: 'a\u0000', notes: 'line\nline\u0085', params: { fast: ['x', { deep: '\udc00' }] } }).error!.issues;
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['name', CONTROL_CHARACTER],
      ['notes', CONTROL_CHARACTER],
      ['params.fast.1.deep', UNPAIRED_SURROGATE],
    ]);
    expect(schema.safeParse({ name: 'ok', notes: 'line\n\tline\r\n', params: { fast: [1, 'x'] } }).success).toBe(true);
  });

  it('findTextProblem checks object keys too', () => {
    expect(findTextProblem({ a: { 'b\u0000': 1 } })).toEqual({ path: ['a'], message: `has a key that ${CONTROL_CHARACTER}` });
  });
});
