import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { getEnv } from '@/server/env';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById, registerUser } from '@/server/services/auth/users';
import { DELETE as deleteChannel, PATCH as patchChannel } from './channels/[id]/route';
import { POST as sendTest } from './channels/[id]/test/route';
import { GET as listChannels, POST as createChannel } from './channels/route';
import { GET as listDeliveries } from './deliveries/route';
import { DELETE as deleteRule } from './rules/[id]/route';
import { GET as listRules, POST as createRule } from './rules/route';
import { PUT as putTemplate } from './templates/[kind]/route';
import { POST as preview } from './templates/preview/route';
import { GET as listTemplates } from './templates/route';

/** The REST handlers themselves (auth, parsing, status codes, ownership) on the run's database. */
let aliceToken: string;
let bobToken: string;
const BOT_TOKEN = '987654321:AAHrestTestTokenValue_abcdefghijk';

async function tokenFor(username: string): Promise<string> {
  const { db } = getDatabase();
  const user = await registerUser(db, { username, password: 'long enough pw' });
  const pair = await issueTokenPair(db, (await findUserById(db, user.id))!, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 });
  return pair.accessToken;
}

function request(method: string, token: string, body?: unknown, path = '/api/v1/notifications/channels'): Request {
  return new Request(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const params = <P extends Record<string, string>>(p: P) => ({ params: Promise.resolve(p) });
const fieldsOf = async (response: Response) =>
  ((await response.json()) as { error: { details?: { fields?: Array<{ field: string }> } } }).error.details?.fields?.map((f) => f.field);

beforeAll(async () => {
  const suffix = Date.now().toString(36);
  aliceToken = await tokenFor(`ntf-alice-${suffix}`);
  bobToken = await tokenFor(`ntf-bob-${suffix}`);
});
afterAll(() => getDatabase().close());

describe('REST /api/v1/notifications', () => {
  it('adds a channel (201) and never returns its secret from any endpoint', async () => {
    const created = await createChannel(request('POST', aliceToken, { type: 'telegram', name: 'Phone', botToken: BOT_TOKEN, chatId: '42' }));
    expect(created.status, 'created').toBe(201);
    const channel = (await created.json()) as { id: string; targetHint: string };
    expect(channel.targetHint).toBe('chat 42 · bot …hijk');
    const bodies = [
      JSON.stringify(channel),
      await (await listChannels(request('GET', aliceToken))).text(),
      await (await patchChannel(request('PATCH', aliceToken, { name: 'Phone 2' }), params({ id: channel.id }))).text(),
    ];
    for (const body of bodies) expect(body).not.toContain('AAHrestTestTokenValue');
  });

  it('refuses bad input with 422 naming the field, and private addresses (the SSRF guard; not allowed in this run)', async () => {
    expect(await fieldsOf(await createChannel(request('POST', aliceToken, { type: 'sms', name: 'x' })))).toEqual(['type']);
    expect(await fieldsOf(await createChannel(request('POST', aliceToken, { type: 'telegram', name: 'x', botToken: 'bad', chatId: '1' })))).toEqual([
      'botToken',
    ]);
    const lan = await createChannel(request('POST', aliceToken, { type: 'webhook', name: 'lan', url: 'https://127.0.0.1/hook' }));
    expect(lan.status).toBe(422);
    expect(await fieldsOf(lan)).toEqual(['url']);
    expect(await fieldsOf(await createRule(request('POST', aliceToken, { channelId: 'nope', kind: 'fill' })))).toEqual(['channelId']);
    expect(await fieldsOf(await createRule(request('POST', aliceToken, { channelId: crypto.randomUUID(), kind: 'everything' })))).toEqual(['kind']);
    expect(await fieldsOf(await putTemplate(request('PUT', aliceToken, { body: 'x' }), params({ kind: 'nope' })))).toEqual(['kind']);
    expect(await fieldsOf(await putTemplate(request('PUT', aliceToken, { body: '{{typo}}' }), params({ kind: 'fill' })))).toEqual(['body']);
  });

  it("another user's channel and rule are not found", async () => {
    const created = await createChannel(request('POST', aliceToken, { type: 'webhook', name: 'Hook', url: 'https://hooks.example.com/x' }));
    expect(created.status).toBe(201);
    const channel = (await created.json()) as { id: string; signingSecret: string | null };
    expect(channel.signingSecret, 'a generated secret, shown once').toMatch(/^whsec_/);
    expect(await (await listChannels(request('GET', aliceToken))).text()).not.toContain(channel.signingSecret!);
    expect((await patchChannel(request('PATCH', bobToken, { enabled: false }), params({ id: channel.id }))).status).toBe(404);
    expect((await sendTest(request('POST', bobToken), params({ id: channel.id }))).status).toBe(404);
    expect((await deleteChannel(request('DELETE', bobToken), params({ id: channel.id }))).status).toBe(404);
    const bobRule = await createRule(request('POST', bobToken, { channelId: channel.id, kind: 'fill' }));
    expect(await fieldsOf(bobRule), 'not one of your channels').toEqual(['channelId']);

    const rule = await createRule(request('POST', aliceToken, { channelId: channel.id, kind: 'fill' }));
    expect(rule.status).toBe(201);
    const { id: ruleId } = (await rule.json()) as { id: string };
    expect((await createRule(request('POST', aliceToken, { channelId: channel.id, kind: 'fill' }))).status, 'the same rule twice').toBe(409);
    expect((await deleteRule(request('DELETE', bobToken), params({ id: ruleId }))).status).toBe(404);
    expect(((await (await listRules(request('GET', bobToken))).json()) as { rules: unknown[] }).rules).toEqual([]);
    expect((await deleteRule(request('DELETE', aliceToken), params({ id: ruleId }))).status).toBe(200);
    expect((await deleteChannel(request('DELETE', aliceToken), params({ id: channel.id }))).status).toBe(200);
  });

  it('serves templates, previews and the delivery log', async () => {
    const templates = (await (await listTemplates(request('GET', aliceToken))).json()) as {
      templates: Array<{ kind: string; isDefault: boolean; variables: string[] }>;
    };
    expect(templates.templates.map((t) => t.kind)).toContain('daily_summary');
    const saved = await putTemplate(request('PUT', aliceToken, { body: 'Filled {{symbol}}' }), params({ kind: 'fill' }));
    expect(await saved.json()).toMatchObject({ kind: 'fill', body: 'Filled {{symbol}}', isDefault: false });
    const shown = await preview(request('POST', aliceToken, { kind: 'fill', body: 'Filled {{symbol}} at {{price}}' }));
    expect(await shown.json()).toEqual({ text: 'Filled BTC/USDT at 64250.5', unknownPlaceholders: [] });
    const deliveries = await listDeliveries(request('GET', aliceToken, undefined, '/api/v1/notifications/deliveries?limit=5'));
    expect(deliveries.status).toBe(200);
    expect(await fieldsOf(await listDeliveries(request('GET', aliceToken, undefined, '/api/v1/notifications/deliveries?limit=0')))).toEqual(['limit']);
  });
});
