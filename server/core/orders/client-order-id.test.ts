import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../money/errors';
import { CLIENT_ORDER_ID_PATTERN, deriveClientOrderId, manualClientOrderId, ORDER_INTENTS, ulid } from './client-order-id';

const BINANCE_PATTERN = /^[a-zA-Z0-9-_]{1,36}$/;

describe('deriveClientOrderId', () => {
  const input = { deploymentId: 'dep_01H', barTimeMs: 1_700_000_000_000, intent: 'enter' as const };

  it('is a short id valid on Binance and OKX, prefixed cb', () => {
    const id = deriveClientOrderId(input);
    expect(id, 'Binance newClientOrderId').toMatch(BINANCE_PATTERN);
    expect(id, 'OKX clOrdId: up to 32 alphanumerics').toMatch(CLIENT_ORDER_ID_PATTERN);
    expect(id.startsWith('cb'), 'prefix tells our orders apart on the exchange').toBe(true);
    expect(deriveClientOrderId({ ...input, attempt: 0 }), 'attempt defaults to 0').toBe(id);
  });

  it('pins the derivation (a change would make a restarted worker place orders twice)', () => {
    expect(deriveClientOrderId(input), 'golden value of the v1 derivation').toBe('cb852d2c120635faad347979de65c057');
    expect(deriveClientOrderId(input).slice(2), 'cb + sha256 of the JSON of the fields, 30 hex digits').toBe(
      createHash('sha256')
        .update(JSON.stringify(['cryptobot/client-order-id/v1', input.deploymentId, input.barTimeMs, input.intent, 0]))
        .digest('hex')
        .slice(0, 30),
    );
  });

  it('is stable for the same inputs and different for different ones', () => {
    const key = fc.record({
      deploymentId: fc.string({ minLength: 1, maxLength: 40 }),
      barTimeMs: fc.nat({ max: 4_102_444_800_000 }),
      intent: fc.constantFrom(...ORDER_INTENTS),
      attempt: fc.nat({ max: 5 }),
    });
    fc.assert(
      fc.property(key, key, (a, b) => {
        const idA = deriveClientOrderId(a);
        expect(deriveClientOrderId({ ...a }), 'same inputs, same id').toBe(idA);
        expect(idA, 'always exchange-valid').toMatch(CLIENT_ORDER_ID_PATTERN);
        const same = a.deploymentId === b.deploymentId && a.barTimeMs === b.barTimeMs && a.intent === b.intent && a.attempt === b.attempt;
        expect(deriveClientOrderId(b) === idA, 'ids collide exactly when the inputs are equal').toBe(same);
      }),
    );
  });

  it('keeps fields apart, so shifted separators do not collide', () => {
    expect(deriveClientOrderId({ deploymentId: 'a1', barTimeMs: 23, intent: 'exit' }), 'fields are encoded unambiguously').not.toBe(
      deriveClientOrderId({ deploymentId: 'a', barTimeMs: 123, intent: 'exit' }),
    );
    expect(deriveClientOrderId({ ...input, attempt: 1 }), 'a new attempt is a new order').not.toBe(deriveClientOrderId(input));
  });

  it.each([
    [{ ...input, deploymentId: '' }, 'deploymentId'],
    [{ ...input, barTimeMs: 1.5 }, 'barTimeMs'],
    [{ ...input, barTimeMs: -1 }, 'barTimeMs'],
    [{ ...input, attempt: -1 }, 'attempt'],
    [{ ...input, intent: 'buy' as never }, 'intent'],
  ])('refuses invalid input %#', (bad, field) => {
    expect(() => deriveClientOrderId(bad), `${field} is validated`).toThrow(DomainError);
  });
});

describe('manualClientOrderId', () => {
  it('is cbm + a ULID: time-sortable, random, exchange-valid', () => {
    const zeros = () => new Uint8Array(10);
    expect(manualClientOrderId(0, zeros), 'epoch with zero randomness').toBe('cbm' + '0'.repeat(26));
    expect(ulid(1_469_918_176_385, zeros).slice(0, 10), 'the ULID spec example time').toBe('01ARYZ6S41');
    const id = manualClientOrderId();
    expect(id, 'valid on Binance and OKX').toMatch(CLIENT_ORDER_ID_PATTERN);
    expect(id.length, 'cbm + 26').toBe(29);
    expect(manualClientOrderId(), 'two manual orders get two ids').not.toBe(id);
    expect(manualClientOrderId(2_000, zeros) > manualClientOrderId(1_000, zeros), 'ids sort by creation time').toBe(true);
    const ones = () => new Uint8Array(10).fill(255);
    expect(ulid(0, ones).slice(10), '80 random bits fill 16 base32 characters').toBe('Z'.repeat(16));
  });
});
