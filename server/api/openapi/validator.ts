/**
 * Checks a REST answer against the OpenAPI document: the operation (method + path template), the status and
 * the JSON body. The e2e suite runs every /api/v1 answer through it (e2e/contract.ts), so a response that
 * drifts from the document fails the test that got it.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type JsonObject = Record<string, unknown>;
interface OpenApiLike {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components?: JsonObject;
}

export interface ContractAnswer {
  method: string;
  /** Path only (`/api/v1/keys/abc`), or a whole URL. */
  url: string;
  status: number;
  body: unknown;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export function createContractValidator(openApi: object) {
  const document = openApi as OpenApiLike;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const operations = Object.entries(document.paths ?? {}).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({
        method,
        template,
        // `{id}` matches one path segment; literal segments win over templated ones (keys/current/rotate vs keys/{id}/rotate).
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        responses: operation.responses ?? {},
      })),
  );
  const compiled = new Map<string, ValidateFunction>();

  function validatorFor(key: string, schema: unknown): ValidateFunction {
    let validate = compiled.get(key);
    if (!validate) {
      // The document's components go along, so `#/components/schemas/...` references resolve.
      validate = ajv.compile({ ...(schema as JsonObject), components: document.components ?? {} });
      compiled.set(key, validate);
    }
    return validate;
  }

  /** The problems with an answer, empty when it matches the document. */
  function problems(answer: ContractAnswer): string[] {
    const path = new URL(answer.url, 'http://x').pathname;
    const method = answer.method.toLowerCase();
    const operation = operations.filter((op) => op.method === method && op.pattern.test(path)).sort((a, b) => b.literalSegments - a.literalSegments)[0];
    if (!operation) return [`${method.toUpperCase()} ${path} is not in the OpenAPI document`];
    const response = operation.responses[String(answer.status)];
    if (!response) return [`${method.toUpperCase()} ${operation.template} does not document status ${answer.status}`];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return answer.body === undefined ? [] : [`${method.toUpperCase()} ${operation.template} ${answer.status} documents no JSON body`];
    const validate = validatorFor(`${method} ${operation.template} ${answer.status}`, schema);
    if (validate(answer.body)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  return { problems };
}
