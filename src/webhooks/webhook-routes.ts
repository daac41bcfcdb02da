import { applyDecorators, Delete, Get, HttpCode, Post, Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { StoreAnswerAs } from '../common/presenter';
import {
  ApiErrors,
  ApiIdempotencyKey,
  AUTHENTICATED_ERRORS,
  BODILESS_WRITE_ERRORS,
  LIST_HEADERS,
} from '../customers/customers.api-docs';
import { DeliveryView } from './dto/webhook.view';
import { withoutSecret } from './webhook.views';
import { ApiDeliveryId, ApiWebhookId } from './webhooks.api-docs';

/** What one surface's docs of a shared webhook route say in its own words. */
export interface WebhookSurfaceDocs {
  /** Starts every operationId: `stax` or `v0`. */
  prefix: 'stax' | 'v0';
  /** The webhook as this surface shows it. */
  view: Type<unknown>;
  /** How this surface names the deletion time in the webhook it answers. */
  deletedAt: 'deleted_at' | 'deletedAt';
  /** This surface's page of deliveries, its description, and the error of a bad page query. */
  deliveryPage: Type<unknown>;
  deliveryPageDescription: string;
  badPageQuery: 'badStaxQuery' | 'badV0Query';
}

/**
 * The routes under `…/{id}` that both webhook surfaces have, the same but for the surface's
 * names: path, method, scope, idempotency and OpenAPI docs in one place, so the two controllers
 * stay thin and cannot drift apart. Create, list and update differ by surface (Stax takes query
 * parameters, v0 a body) and are declared in their controllers.
 */
export const WebhookRoute = {
  get: (s: WebhookSurfaceDocs) =>
    applyDecorators(
      Get(':id'),
      RequireScope('webhooks:read'),
      ApiOperation({ operationId: `${s.prefix}GetWebhook`, summary: 'Get a webhook' }),
      ApiWebhookId(),
      ApiOkResponse({ type: s.view, description: 'The webhook (never its secret).' }),
      ApiErrors(...AUTHENTICATED_ERRORS, 'invalidWebhookId', 'webhookNotFound'),
    ),

  remove: (s: WebhookSurfaceDocs) =>
    applyDecorators(
      Delete(':id'),
      RequireScope('webhooks:write'),
      ApiOperation({
        operationId: `${s.prefix}DeleteWebhook`,
        summary:
          'Delete a webhook (soft): it receives nothing more; its pending deliveries are failed (by the worker, right after)',
      }),
      ApiWebhookId(),
      ApiIdempotencyKey(),
      ApiOkResponse({ type: s.view, description: `The webhook, with ${s.deletedAt} set.` }),
      ApiErrors(...AUTHENTICATED_ERRORS, ...BODILESS_WRITE_ERRORS, 'invalidWebhookId', 'webhookNotFound'),
    ),

  rotateSecret: (s: WebhookSurfaceDocs) =>
    applyDecorators(
      Post(':id/rotate-secret'),
      HttpCode(200),
      RequireScope('webhooks:write'),
      StoreAnswerAs(withoutSecret),
      ApiOperation({
        operationId: `${s.prefix}RotateWebhookSecret`,
        summary: 'A new signing secret; the old one keeps signing beside it for 24 hours',
      }),
      ApiWebhookId(),
      ApiIdempotencyKey(),
      ApiOkResponse({ type: s.view, description: 'The webhook with its new secret (shown once).' }),
      ApiErrors(...AUTHENTICATED_ERRORS, ...BODILESS_WRITE_ERRORS, 'invalidWebhookId', 'webhookNotFound'),
    ),

  enable: (s: WebhookSurfaceDocs) =>
    applyDecorators(
      Post(':id/enable'),
      HttpCode(200),
      RequireScope('webhooks:write'),
      ApiOperation({
        operationId: `${s.prefix}EnableWebhook`,
        summary: 'Re-enable a webhook that was disabled after failing for days',
      }),
      ApiWebhookId(),
      ApiIdempotencyKey(),
      ApiOkResponse({
        type: s.view,
        description:
          'The webhook, enabled (a no-op if it was). What it missed while disabled (its held deliveries) is sent now, in order, with a retry window counting from now.',
      }),
      ApiErrors(...AUTHENTICATED_ERRORS, ...BODILESS_WRITE_ERRORS, 'invalidWebhookId', 'webhookNotFound'),
    ),

  deliveries: (s: WebhookSurfaceDocs) =>
    applyDecorators(
      Get(':id/deliveries'),
      RequireScope('webhooks:read'),
      ApiOperation({
        operationId: `${s.prefix}ListWebhookDeliveries`,
        summary: 'A webhook’s deliveries, newest first, each with its attempts',
      }),
      ApiWebhookId(),
      ApiOkResponse({ type: s.deliveryPage, description: s.deliveryPageDescription, headers: LIST_HEADERS }),
      ApiErrors(...AUTHENTICATED_ERRORS, 'invalidWebhookId', 'webhookNotFound', s.badPageQuery),
    ),

  redeliver: (s: WebhookSurfaceDocs) =>
    applyDecorators(
      Post(':id/deliveries/:deliveryId/redeliver'),
      HttpCode(200),
      RequireScope('webhooks:write'),
      ApiOperation({
        operationId: `${s.prefix}RedeliverWebhook`,
        summary: 'Send a delivery again, now (same webhook-id and body)',
        description:
          'Queues the delivery again, due now, with a new retry window. If the webhook is paused after a failed ' +
          'attempt, the pause ends: its pending deliveries are tried again now, in their order, this one among them.',
      }),
      ApiWebhookId(),
      ApiDeliveryId(),
      ApiIdempotencyKey(),
      ApiOkResponse({ type: DeliveryView, description: 'The delivery, queued again (pending).' }),
      ApiErrors(
        ...AUTHENTICATED_ERRORS,
        ...BODILESS_WRITE_ERRORS,
        'invalidWebhookId',
        'webhookDisabled',
        'webhookNotFound',
        'deliveryNotFound',
      ),
    ),
};
