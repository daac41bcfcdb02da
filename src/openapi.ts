/**
 * The OpenAPI document and Swagger UI. createApp() serves them at /docs and /docs-json (no API
 * key: they are plain Fastify routes, outside the global guard); `npm run openapi` writes the same
 * document, with sorted keys, to openapi.json.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { version } from '../package.json';
import { SECURITY } from './customers/customers.api-docs';

export const DOCS_PATH = 'docs';

export const TAGS = {
  stax: 'Stax-compatible customers',
  v0: 'v0 customers',
} as const;

const DESCRIPTION = `
Customer records for a merchant backend, over two API surfaces that read and write the same customers:

- **Stax-compatible** (\`/customer\`), modelled on Stax (Fattmerchant): \`firstname\`, \`address_country\`,
  \`created_at\` (\`YYYY-MM-DD HH:MM:SS\`, UTC). Creating answers \`200\`, as Stax does.
- **v0** (\`/api/v0/customers\`), modelled on Devdraft: \`first_name\`, \`phone_number\`, \`createdAt\` (ISO 8601).

**Authorize** with either credential style: \`Authorization: Bearer <client_secret>\`, or the pair
\`x-client-key\` + \`x-client-secret\`. Outside production, the first start on an empty database creates a demo
merchant with every scope and prints its key once in the service log.

**Updates are partial**: only the fields sent change. An empty string or \`null\` clears an optional field.
Read-only fields may be sent back (GET, then PUT the whole object) and change nothing; so may the Stax fields
\`merchant_id\` (your own) and \`files\` (empty), which this service does not show. Unknown fields are \`400\`.

**Errors** share one envelope: \`{ statusCode, error, message, requestId }\`; \`message\` is an array for validation
errors. Every response carries \`x-request-id\`.

**Safe retries and concurrency**: writes accept an \`idempotency-key\` header; responses with one customer carry an
\`ETag\`, and \`If-Match\` makes a write conditional (\`412\` when stale).
`.trim();

// The server is relative: the routes are on the host that serves this document, wherever it runs.
export function openApiConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('merchant-customers')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This service')
    .addTag(TAGS.stax, 'Stax (Fattmerchant) compatible routes: `PUT /customer/{id}` and its siblings.')
    .addTag(TAGS.v0, 'Devdraft-style routes: `PATCH /api/v0/customers/{id}` and its siblings.')
    .addSecurity(SECURITY.bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'client_secret',
      description: 'Stax style: `Authorization: Bearer <client_secret>`.',
    })
    .addSecurity(SECURITY.clientKey, {
      type: 'apiKey',
      in: 'header',
      name: 'x-client-key',
      description: 'v0 style, together with x-client-secret: the public client_key.',
    })
    .addSecurity(SECURITY.clientSecret, {
      type: 'apiKey',
      in: 'header',
      name: 'x-client-secret',
      description: 'v0 style, together with x-client-key: the client_secret.',
    })
    .build();
}

export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, openApiConfig());
  markPublicOperations(document);
  return document;
}

/**
 * Every route needs a key unless it is @Public() (the global guard), and the customer routes say
 * which keys with @ApiKeyAuth(). The others are the public ones (health checks), so they get an
 * explicit `security: []`: no credentials, rather than requirements left unsaid. (@nestjs/swagger
 * drops an empty security list given by decorator, hence here.)
 */
function markPublicOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const) {
      const operation = item[method];
      if (operation && operation.security === undefined) operation.security = [];
    }
  }
}

/** Swagger UI at /docs, the JSON document at /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    raw: ['json'],
    customSiteTitle: 'merchant-customers API',
    swaggerOptions: {
      persistAuthorization: true,
      displayOperationId: true,
      displayRequestDuration: true,
      docExpansion: 'list',
      defaultModelsExpandDepth: 1,
    },
  });
}

/** Same value, keys sorted at every level: a stable text for the committed openapi.json. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
