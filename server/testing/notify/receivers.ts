/**
 * Local fake receivers for notification tests (vitest, Playwright, the bench): one HTTP server that answers as the
 * Telegram Bot API (`POST /bot<token>/sendMessage`), as Discord webhooks (`POST /api/webhooks/<id>/<token>`) and as a
 * generic webhook receiver (`POST /hook/<name>`), and records every request. Point NOTIFY_TELEGRAM_API_URL and
 * NOTIFY_DISCORD_API_URL at `baseUrl`, and a webhook channel at `${baseUrl}/hook/<name>`.
 *
 * It also answers Telegram's `POST /bot<token>/getUpdates` ({offset}) with the updates `pushTelegramMessage` queued
 * for that bot whose update_id is at least the offset, as Telegram does (those polls are counted in `getUpdatesCalls`,
 * not in `requests`).
 *
 * `respondWith(...)` queues answers (a status and a body) for the next requests, e.g. a 500 then a 429 with
 * retry_after, to exercise retries; afterwards every request gets 200. `waitFor(predicate)` resolves when a
 * matching request has arrived (already or later): tests wait for that signal, never for a sleep.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverService = 'telegram' | 'discord' | 'webhook';

export interface ReceivedRequest {
  service: ReceiverService;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (a webhook's signature covers these bytes). */
  body: string;
  json: Record<string, unknown>;
  /** ms since epoch when it arrived */
  receivedAt: number;
  /** What this request was answered with. */
  status: number;
}

interface QueuedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A Telegram update as getUpdates returns it (the message fields the command poller reads). */
export interface TelegramTestUpdate {
  update_id: number;
  message: { message_id: number; date: number; chat: { id: number; type: 'private' }; from: { id: number; is_bot: false; first_name: string }; text: string };
}

export class NotifyReceivers {
  readonly requests: ReceivedRequest[] = [];
  /** Updates per bot token, in update_id order (Telegram keeps unconfirmed ones; so does this). */
  readonly telegramUpdates = new Map<string, TelegramTestUpdate[]>();
  getUpdatesCalls = 0;
  private nextUpdateId = 700_000_001;
  private server: Server | null = null;
  private answers: QueuedAnswer[] = [];
  private waiters: Array<{ predicate: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }> = [];
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0]!;
        const poll = /^\/bot([^/]+)\/getUpdates$/.exec(path);
        if (req.method === 'POST' && poll) {
          this.getUpdatesCalls++;
          let offset = 0;
          try {
            offset = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { offset?: unknown }).offset ?? 0);
          } catch {
            // no body: from the first
          }
          const result = (this.telegramUpdates.get(decodeURIComponent(poll[1]!)) ?? []).filter((u) => u.update_id >= offset);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
          return;
        }
        const service: ReceiverService | null = /^\/bot[^/]+\/sendMessage$/.test(path)
          ? 'telegram'
          : /^\/api\/webhooks\/[^/]+\/[^/]+$/.test(path)
            ? 'discord'
            : path.startsWith('/hook/')
              ? 'webhook'
              : null;
        if (req.method !== 'POST' || !service) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          // recorded as sent
        }
        const answer = this.answers.shift() ?? { status: 200 };
        const okBody = service === 'telegram' ? { ok: true, result: { message_id: this.requests.length + 1 } } : { id: String(this.requests.length + 1) };
        const record: ReceivedRequest = { service, path, headers: req.headers, body, json, receivedAt: Date.now(), status: answer.status };
        this.requests.push(record);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body ?? okBody));
        for (const waiter of [...this.waiters]) {
          if (waiter.predicate(record)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(record);
          }
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Queues a message from `chatId` to the bot `botToken`, as getUpdates will return it; returns its update_id. */
  pushTelegramMessage(botToken: string, chatId: number, text: string): number {
    const updateId = this.nextUpdateId++;
    const list = this.telegramUpdates.get(botToken) ?? [];
    list.push({
      update_id: updateId,
      message: {
        message_id: updateId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: 'private' },
        from: { id: chatId, is_bot: false, first_name: 'Trader' },
        text,
      },
    });
    this.telegramUpdates.set(botToken, list);
    return updateId;
  }

  /** Answers for the next requests, in order (then 200 again). */
  respondWith(...answers: QueuedAnswer[]): void {
    this.answers.push(...answers);
  }

  /** The first request (already received or still to come) that matches. */
  waitFor(predicate: (r: ReceivedRequest) => boolean = () => true, timeoutMs = 10_000): Promise<ReceivedRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching notification request within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  reset(): void {
    this.requests.length = 0;
    this.telegramUpdates.clear();
    this.getUpdatesCalls = 0;
    this.answers = [];
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}
