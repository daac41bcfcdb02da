import { applyDecorators } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

export const ApiWebhookId = () =>
  ApiParam({
    name: 'id',
    description:
      'The `id` of a webhook (a UUID). Anything else is 400; another merchant’s webhook answers 404.',
    schema: { type: 'string', format: 'uuid' },
  });

export const ApiDeliveryId = () =>
  applyDecorators(
    ApiParam({
      name: 'deliveryId',
      description: 'The delivery’s `id`: the event id a receiver saw as `webhook-id`.',
      schema: { type: 'string', format: 'uuid' },
    }),
  );

export const SIGNING =
  'Every delivery is a POST with `Content-Type: application/json`, signed per Standard Webhooks: `webhook-id` ' +
  '(the event id, the same on every retry: deduplicate on it), `webhook-timestamp` (Unix seconds) and ' +
  '`webhook-signature` (`v1,<base64 HMAC-SHA256>`; two signatures, space-separated, for 24 hours after a ' +
  'secret rotation). Deliveries are retried with exponential backoff for at least 24 hours on any non-2xx ' +
  'answer, timeout (10 s) or connection error; Retry-After is honoured on 429 and 503. A customer’s events ' +
  'reach one webhook in the order of its versions.';
