import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { isUuid } from './ids';

it('accepts row ids (UUIDs, any case) and nothing else', () => {
  const id = randomUUID();
  expect(isUuid(id)).toBe(true);
  expect(isUuid(id.toUpperCase())).toBe(true);
  for (const bad of ['', id.slice(1), `${id}0`, id.replace(/-/g, ''), '------------------------------------', `${id.slice(0, 35)}g`, 42, null, undefined]) {
    expect(isUuid(bad), String(bad)).toBe(false);
  }
});
