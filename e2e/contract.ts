/**
 * The e2e suite's `test` and `expect`, with the API contract enforced: every JSON answer from /api/v1 that a
 * test gets through Playwright's request API (the `request` fixture, `page.request`, `context.request`, and
 * contexts from `playwright.request.newContext()`) is checked against the OpenAPI document the app serves at
 * /api/v1/openapi.json (server/api/openapi). A mismatch fails the request call, so the test that got it fails.
 *
 *   import { expect, test, type APIRequestContext } from './contract';   // instead of '@playwright/test'
 */
import { test as base, type APIRequestContext, type APIResponse } from '@playwright/test';
import { createContractValidator } from '@/server/api/openapi/validator';

export * from '@playwright/test';

/** The app under test: the document comes from it, whichever host answered the request being checked. */
const APP_URL = `http://localhost:${process.env.E2E_PORT ?? 3100}`;

let validator: Promise<ReturnType<typeof createContractValidator>> | null = null;

function contract() {
  validator ??= (async () => {
    const response = await fetch(`${APP_URL}/api/v1/openapi.json`);
    if (!response.ok) throw new Error(`GET /api/v1/openapi.json answered ${response.status}: the contract cannot be checked`);
    return createContractValidator(await response.json());
  })();
  return validator;
}

export class ContractViolation extends Error {
  constructor(method: string, url: string, status: number, problems: string[]) {
    super(`the answer to ${method} ${new URL(url).pathname} (${status}) breaks the OpenAPI contract:\n  ${problems.join('\n  ')}`);
    this.name = 'ContractViolation';
  }
}

/** Checks one answer; a JSON answer from /api/v1 that the document does not describe throws ContractViolation. */
export async function checkAnswer(method: string, response: APIResponse): Promise<void> {
  const url = new URL(response.url());
  if (!url.pathname.startsWith('/api/v1/')) return;
  const mediaType = (response.headers()['content-type'] ?? '').split(';')[0]!.trim();
  if (mediaType !== 'application/json') return;
  const text = (await response.body()).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ContractViolation(method, url.href, response.status(), ['the body is not JSON although its Content-Type says so']);
  }
  const problems = (await contract()).problems({ method, url: url.href, status: response.status(), body });
  if (problems.length) throw new ContractViolation(method, url.href, response.status(), problems);
}

const patched = new WeakSet<object>();

/** Routes every fetch of this kind of request context (get, post, … all go through `fetch`) through checkAnswer. */
function enforceContract(context: APIRequestContext): void {
  type Fetch = (urlOrRequest: Parameters<APIRequestContext['fetch']>[0], options?: Parameters<APIRequestContext['fetch']>[1]) => Promise<APIResponse>;
  const prototype = Object.getPrototypeOf(context) as { fetch: Fetch };
  if (patched.has(prototype)) return;
  patched.add(prototype);
  const original = prototype.fetch;
  prototype.fetch = async function (this: APIRequestContext, urlOrRequest, options = {}): Promise<APIResponse> {
    const response = await original.call(this, urlOrRequest, options);
    const method = options.method ?? (typeof urlOrRequest === 'string' ? 'GET' : urlOrRequest.method());
    await checkAnswer(method.toUpperCase(), response);
    return response;
  };
}

export const test = base.extend<{ contractEnforced: void }>({
  contractEnforced: [
    async ({ request }, use) => {
      enforceContract(request);
      await use();
    },
    { auto: true },
  ],
});
