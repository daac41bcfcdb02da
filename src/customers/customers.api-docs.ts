/**
 * OpenAPI decorators shared by both customer controllers: authentication, the idempotency and
 * If-Match request headers, and the error responses (docs/behaviour.md, "Errors") with examples
 * that quote the service's own messages (imported, so the documentation cannot drift from the code).
 */
import { applyDecorators, Type } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiParam,
  ApiResponse,
  ApiSecurity,
  getSchemaPath,
} from '@nestjs/swagger';
import type { ExamplesObject, HeadersObject } from '@nestjs/swagger';
import { MISSING_CLIENT_SECRET, MISSING_CREDENTIALS } from '../auth/auth.service';
import { ErrorView } from '../common/error.view';
import { RATE_LIMITED_MESSAGE } from '../rate-limit/rate-limit.module';
import { countryCodeProblem, IDENTITY_RULE_MESSAGE } from './customer-rules';
import { CUSTOMER_NOT_FOUND, EMAIL_TAKEN } from './customers.service';
import { FILES_NOT_EMPTY, MERCHANT_ID_MISMATCH } from './dto/stax-customer.dto';
import { V0_MESSAGES } from './dto/v0-customer.dto';
import {
  DELIVERY_NOT_FOUND,
  INVALID_WEBHOOK_ID,
  TOO_MANY_ENDPOINTS,
  WEBHOOK_DISABLED,
  WEBHOOK_NOT_FOUND,
  STAX_FIELDS_MISSING,
  V0_UPDATE_EMPTY,
} from '../webhooks/webhook-messages';

/** Names of the security schemes that src/openapi.ts declares. */
export const SECURITY = {
  bearer: 'bearer',
  clientKey: 'x-client-key',
  clientSecret: 'x-client-secret',
} as const;

/** Either credential style is enough: Bearer, or the x-client-key + x-client-secret pair. */
export const ApiKeyAuth = () =>
  applyDecorators(
    ApiSecurity(SECURITY.bearer),
    ApiSecurity({ [SECURITY.clientKey]: [], [SECURITY.clientSecret]: [] }),
  );

/** Headers every documented response carries. */
const REQUEST_ID_HEADER: HeadersObject = {
  'x-request-id': {
    description: 'Echoed from the request when given, else generated. Error bodies repeat it as requestId.',
    schema: { type: 'string' },
  },
};

/** Headers of a response that carries one customer. */
export const CUSTOMER_HEADERS: HeadersObject = {
  ...REQUEST_ID_HEADER,
  ETag: {
    description: 'The customer version, e.g. `"3"`. Send it back in If-Match to update only that version.',
    schema: { type: 'string' },
  },
};

/** Headers of a successful write (POST, PUT, PATCH, DELETE) that carries one customer. */
export const WRITE_HEADERS: HeadersObject = {
  ...CUSTOMER_HEADERS,
  'Idempotent-Replayed': {
    description:
      '`true` when this is the stored response of an earlier request with the same idempotency-key.',
    schema: { type: 'string', enum: ['true'] },
  },
};

export const LIST_HEADERS = REQUEST_ID_HEADER;

/** Headers of a bulk answer: no ETag (each result carries its own). */
export const BULK_HEADERS: HeadersObject = {
  ...REQUEST_ID_HEADER,
  'Idempotent-Replayed': WRITE_HEADERS['Idempotent-Replayed'],
};

export const BULK_OK =
  'One result per item, in request order, and how many succeeded and failed. 200 whatever the items’ outcomes.';

export const BULK_DESCRIPTION = [
  'Each item is a create (no `id`) or a partial update (`id`, optionally `etag` as If-Match) with exactly the ' +
    'rules, messages and audit entries of the single route; an item’s `status` and `error` are what that ' +
    'route would have answered. Email uniqueness holds across the batch and stored customers: of two items ' +
    'taking one email the first wins and the second is 409. Items run in order; several items may update one ' +
    'customer, each seeing the one before.',
  '',
  '`atomic: false` (default): items are independent and each committed item is whole (its change and its audit ' +
    'entries). The batch runs in one database transaction, so a batch that fails as a whole (the database ' +
    'goes away: 503) changed nothing. `atomic: true`: all or nothing.',
  '',
  'An `idempotency-key` replays the whole answer; the answer is stored in the batch’s own transaction. ' +
    'Rate limits count items: a batch of 100 uses 100 of the key’s requests per minute (all its items, or ' +
    'none: over the limit is 429 and nothing runs). Bodies up to 5 MB (the single routes take BODY_LIMIT).',
].join('\n');

export const ApiCustomerId = () =>
  ApiParam({
    name: 'id',
    description:
      'The `id` of a customer (a UUID). Anything else is 400; another merchant’s customer answers 404.',
    schema: { type: 'string', format: 'uuid' },
  });

/** A JSON body of the given DTO, with named examples that Swagger UI offers in a drop-down. */
export const ApiJsonBody = (model: Type<unknown>, examples: ExamplesObject) =>
  applyDecorators(
    ApiExtraModels(model),
    ApiBody({ required: true, schema: { $ref: getSchemaPath(model) }, examples }),
  );

/** No example on purpose: Swagger UI would pre-fill it, and a reused key replays or answers 422. */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'idempotency-key',
    required: false,
    description:
      'Optional, 1-255 printable characters (a UUID v4 is a good choice). A repeat with the same key and the ' +
      'same method, path and body within 24 hours gets the stored response back with ' +
      '`Idempotent-Replayed: true` and changes nothing; a different request with the same key is 422; a ' +
      'repeat while the first is still running is 409 with Retry-After.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  });

export const ApiIfMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'Optional ETag from an earlier response (e.g. `"3"`, or `*`). The write happens only if the customer ' +
      'is still at that version; otherwise 412 and nothing changes.',
    schema: { type: 'string' },
  });

interface ErrorExample {
  status: number;
  summary: string;
  message: string | string[];
  /** The response also carries Retry-After. */
  retryAfter?: boolean;
}

const example = (status: number, summary: string, message: string | string[], retryAfter?: boolean) =>
  ({ status, summary, message, retryAfter }) satisfies ErrorExample;

/** Every documented error answer, by name; a route lists the ones it can give. */
export const ERROR_EXAMPLES = {
  // 400
  alpha2Country: example(400, 'An alpha-2 country code: {"address_country": "US"}', [
    countryCodeProblem('US') ?? '',
  ]),
  identityRule: example(400, 'Nothing left to identify the customer', [IDENTITY_RULE_MESSAGE]),
  unknownField: example(400, 'A field the route does not know', ['property foo should not exist']),
  bodyIdMismatch: example(400, 'A body id that is not the path id', [
    'id in the body must match the customer id in the path',
  ]),
  merchantIdMismatch: example(400, 'Another merchant id sent back in merchant_id', [MERCHANT_ID_MISMATCH]),
  filesNotEmpty: example(400, 'Files sent back in files', [FILES_NOT_EMPTY]),
  v0Validation: example(
    400,
    'Field validation: {"first_name": "", "email": "john.smith@", "phone_number": "+1 (987) 654-3210 ext. 42"}',
    ['First name cannot be empty', 'Invalid email format', 'Phone number cannot exceed 20 characters'],
  ),
  v0Enums: example(400, 'A value outside an enum', [V0_MESSAGES.customerType, V0_MESSAGES.status]),
  malformedJson: example(400, 'Malformed JSON', 'Malformed JSON in request body'),
  invalidId: example(400, 'A path id that is not a UUID', ['Customer ID must be a valid UUID']),
  badIdempotencyKey: example(400, 'A malformed idempotency-key', [
    'idempotency-key must be 1-255 printable ASCII characters',
  ]),
  badStaxQuery: example(400, 'A query parameter out of range', ['per_page must not be greater than 200']),
  badV0Query: example(400, 'A query parameter out of range', ['take must not be greater than 100']),
  badBulkEnvelope: example(400, 'Too many items (or none, or items not a list)', [
    'items must contain no more than 500 elements',
  ]),
  invalidWebhookId: example(400, 'A webhook id that is not a UUID', [INVALID_WEBHOOK_ID]),
  badWebhookUrl: example(400, 'A URL that is not http(s)', ['url must be an absolute http or https URL']),
  refusedWebhookTarget: example(400, 'A URL on a private or loopback address', [
    'url is refused: 127.0.0.1 resolves to a refused address (127.0.0.1 is a loopback address); set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow it',
  ]),
  unknownWebhookEvent: example(400, 'An event name the surface does not send', [
    'each of events must be one of: customer.created, customer.updated, customer.deleted, customer.restored, customer.status_changed, *',
  ]),
  staxWebhookFields: example(400, 'No target_url or event', [STAX_FIELDS_MISSING]),
  emptyWebhookUpdate: example(400, 'Nothing to change', [V0_UPDATE_EMPTY]),
  tooManyWebhooks: example(400, 'A 21st webhook', [TOO_MANY_ENDPOINTS]),
  webhookDisabled: example(400, 'Redelivering to a disabled webhook', [WEBHOOK_DISABLED]),
  // 401
  missingCredentials: example(401, 'No credentials', MISSING_CREDENTIALS),
  incompleteKeyPair: example(401, 'x-client-key without x-client-secret', MISSING_CLIENT_SECRET),
  invalidCredentials: example(401, 'Unknown, mismatched or revoked credentials', 'Invalid API credentials'),
  // 403
  missingScope: example(403, 'The key lacks the scope', 'This API key lacks the scope customers:write'),
  reactivateScope: example(
    403,
    'BLACKLISTED → ACTIVE without customers:reactivate',
    'Moving a customer from BLACKLISTED to ACTIVE requires an API key with the customers:reactivate scope',
  ),
  // 404
  notFound: example(404, 'No such customer for this merchant', CUSTOMER_NOT_FOUND),
  webhookNotFound: example(404, 'No such webhook for this merchant (or it was deleted)', WEBHOOK_NOT_FOUND),
  deliveryNotFound: example(404, 'No such delivery for this webhook', DELIVERY_NOT_FOUND),
  // 409
  emailTaken: example(409, 'Email already used by a live customer', EMAIL_TAKEN),
  idempotencyInFlight: example(
    409,
    'Same idempotency-key still running',
    'A request with this idempotency-key is still in progress',
    true,
  ),
  // 412
  ifMatchFailed: example(
    412,
    'Stale If-Match',
    'The customer has changed since you read it (If-Match does not match)',
  ),
  // 413
  tooLarge: example(413, 'Body over the limit', 'Request body is larger than 100kb'),
  // 415
  notJson: example(415, 'Body that is not JSON', 'Content-Type must be application/json'),
  // 422
  idempotencyMismatch: example(
    422,
    'idempotency-key reused for another request',
    'This idempotency-key was already used with a different request (method, path or body)',
  ),
  // 429
  rateLimited: example(429, 'Too many requests for this API key', RATE_LIMITED_MESSAGE, true),
  // 503
  databaseUnavailable: example(503, 'Database unavailable', 'Database unavailable, try again shortly', true),
} as const;

export type ErrorExampleName = keyof typeof ERROR_EXAMPLES;

/** Errors any authenticated route can answer. */
export const AUTHENTICATED_ERRORS = [
  'missingCredentials',
  'incompleteKeyPair',
  'invalidCredentials',
  'missingScope',
  'rateLimited',
  'databaseUnavailable',
] as const satisfies readonly ErrorExampleName[];

/** Errors of any route that takes a customer id in the path. */
export const BY_ID_ERRORS = ['invalidId', 'notFound'] as const satisfies readonly ErrorExampleName[];

/** Errors of any route that takes a JSON body and an idempotency-key. */
export const BODY_WRITE_ERRORS = [
  'malformedJson',
  'unknownField',
  'badIdempotencyKey',
  'idempotencyInFlight',
  'tooLarge',
  'notJson',
  'idempotencyMismatch',
] as const satisfies readonly ErrorExampleName[];

/** Errors of a write without a body (DELETE, restore) that takes an idempotency-key. */
export const BODILESS_WRITE_ERRORS = [
  'badIdempotencyKey',
  'idempotencyInFlight',
  'idempotencyMismatch',
] as const satisfies readonly ErrorExampleName[];

const DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed: malformed JSON, a field that breaks its rule, an unknown field, a bad path id or query.',
  401: 'Credentials missing or invalid (the answer never says which part was wrong).',
  403: 'The API key lacks the scope this route or change needs.',
  404: 'No such customer, webhook or delivery for this merchant (another merchant’s id answers the same).',
  409: 'Conflict: the email belongs to another live customer, or the idempotency-key is still in flight.',
  412: 'If-Match does not match the current ETag; nothing changed.',
  413: 'The body is larger than the limit (BODY_LIMIT, 100kb by default).',
  415: 'The body is not application/json.',
  422: 'The idempotency-key was already used with a different method, path or body.',
  429: 'Rate limited; retry after Retry-After seconds.',
  503: 'The database is unavailable; retry after Retry-After seconds.',
};

/** Read by Stainless-generated SDKs (Devdraft's), which otherwise retry a 409 on their own. */
const SHOULD_RETRY_HEADER = {
  description:
    '`true` when the same request can get another answer after Retry-After seconds (an idempotency-key ' +
    'still in flight, 429, 503); `false` when a retry cannot change it (a taken email, 400, 401, 403, ' +
    '404, 412, 413, 415, 422).',
  schema: { type: 'string' as const, enum: ['true', 'false'] },
};

/**
 * One documented response per status, with the error envelope as schema and every named
 * example of that status (Swagger UI shows them in a drop-down).
 */
export function ApiErrors(...names: ErrorExampleName[]) {
  const byStatus = new Map<number, ErrorExampleName[]>();
  // In the order of ERROR_EXAMPLES, so the most telling example is the one Swagger UI shows first.
  const wanted = new Set(names);
  for (const name of (Object.keys(ERROR_EXAMPLES) as ErrorExampleName[]).filter((n) => wanted.has(n))) {
    const { status } = ERROR_EXAMPLES[name];
    byStatus.set(status, [...(byStatus.get(status) ?? []), name]);
  }
  const decorators = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, group]) => {
      const retryAfter = group.some((n) => (ERROR_EXAMPLES[n] as ErrorExample).retryAfter);
      const headers: HeadersObject = { ...REQUEST_ID_HEADER, 'x-should-retry': SHOULD_RETRY_HEADER };
      if (retryAfter) {
        headers['Retry-After'] = {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer' },
        };
      }
      return ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? 'Error',
        type: ErrorView,
        headers,
        examples: Object.fromEntries(
          group.map((name) => {
            const e = ERROR_EXAMPLES[name];
            return [
              name,
              {
                summary: e.summary,
                value: {
                  statusCode: status,
                  error: STATUS_CODES[status] ?? 'Error',
                  message: e.message,
                  requestId: '3f0c8a52-6a0e-4f0b-9d47-0f6f0f4c2b1e',
                },
              },
            ];
          }),
        ),
      });
    });
  return applyDecorators(...decorators);
}
