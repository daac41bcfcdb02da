import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { Ctx } from '../common/app-request';
import { StoreAnswerAs } from '../common/presenter';
import type { RequestContext } from '../common/request-context';
import {
  ApiErrors,
  ApiIdempotencyKey,
  ApiJsonBody,
  ApiKeyAuth,
  AUTHENTICATED_ERRORS,
  BODY_WRITE_ERRORS,
  LIST_HEADERS,
} from '../customers/customers.api-docs';
import { V0PageQuery } from '../customers/dto/v0-list-query.dto';
import { V0WebhookBody, V0WebhookUpdateBody } from './dto/webhook.dto';
import { V0DeliveryList, V0WebhookList, V0WebhookView } from './dto/webhook.view';
import { ALL_EVENTS } from './webhook-events';
import { ParseDeliveryIdPipe, ParseWebhookIdPipe } from './webhook-id.pipe';
import { V0_UPDATE_EMPTY } from './webhook-messages';
import { toDeliveryView, toV0Webhook, withoutSecret } from './webhook.views';
import { WebhookRoute, WebhookSurfaceDocs } from './webhook-routes';
import { ApiWebhookId, SIGNING } from './webhooks.api-docs';
import { WebhooksService } from './webhooks.service';

/** The v0 surface's words in the routes both surfaces share (WebhookRoute). */
const V0_DOCS: WebhookSurfaceDocs = {
  prefix: 'v0',
  view: V0WebhookView,
  deletedAt: 'deletedAt',
  deliveryPage: V0DeliveryList,
  deliveryPageDescription: 'Deliveries, newest first.',
  badPageQuery: 'badV0Query',
};

/** v0 webhooks: `/api/v0/webhooks`. Thin over WebhooksService. */
@ApiTags('v0 webhooks')
@ApiKeyAuth()
@Controller('api/v0/webhooks')
export class V0WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('webhooks:write')
  @StoreAnswerAs(withoutSecret)
  @ApiOperation({
    operationId: 'v0CreateWebhook',
    summary: 'Subscribe a URL to customer events',
    description:
      'Event types are the audit actions: `customer.created`, `customer.updated`, `customer.deleted`, ' +
      '`customer.restored`, `customer.status_changed` (beside `customer.updated` when status changes), or `*` ' +
      'for all. The body of a delivery is an event: `{"id", "type", "createdAt", "data": {"object": <the v0 ' +
      'customer at that version>, "changes": {"field": {"from", "to"}}}}`. ' +
      SIGNING +
      ' A merchant has at most 20 webhooks (both surfaces together). Needs `webhooks:write`.',
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(V0WebhookBody, {
    all: { summary: 'Every event', value: { url: 'https://crm.example.com/hooks/customers' } },
    some: {
      summary: 'Some events',
      value: {
        url: 'https://crm.example.com/hooks/customers',
        events: ['customer.created', 'customer.status_changed'],
      },
    },
  })
  @ApiCreatedResponse({ type: V0WebhookView, description: 'The webhook, with its secret (shown once).' })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BODY_WRITE_ERRORS,
    'badWebhookUrl',
    'refusedWebhookTarget',
    'unknownWebhookEvent',
    'tooManyWebhooks',
  )
  async create(@Ctx() ctx: RequestContext, @Body() body: V0WebhookBody) {
    const { endpoint, secret } = await this.webhooks.create(ctx, 'v0', {
      url: body.url,
      events: body.events ?? [ALL_EVENTS],
      urlField: 'url',
    });
    return toV0Webhook(endpoint, secret);
  }

  @Get()
  @RequireScope('webhooks:read')
  @ApiOperation({ operationId: 'v0ListWebhooks', summary: 'List webhooks, newest first' })
  @ApiOkResponse({ type: V0WebhookList, description: 'One page of live webhooks.', headers: LIST_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'badV0Query')
  async list(@Ctx() ctx: RequestContext, @Query() q: V0PageQuery) {
    const skip = q.skip ?? 0;
    const take = q.take ?? 10;
    const { rows, total } = await this.webhooks.list(ctx, 'v0', skip, take);
    return { data: rows.map((e) => toV0Webhook(e)), total, skip, take };
  }

  @WebhookRoute.get(V0_DOCS)
  async get(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    return toV0Webhook(await this.webhooks.get(ctx, 'v0', id));
  }

  @Patch(':id')
  @RequireScope('webhooks:write')
  @ApiOperation({
    operationId: 'v0UpdateWebhook',
    summary: 'Change a webhook’s URL, its events, or both',
    description:
      'What is given changes; what is left out stays. `events` replaces the subscription list. The URL is ' +
      'checked as at creation, including where it resolves now. Deliveries already queued keep their events ' +
      'and go to the new URL from their next attempt; changes made from now on are sent for the new events. ' +
      'The secret stays. Needs `webhooks:write`.',
  })
  @ApiWebhookId()
  @ApiIdempotencyKey()
  @ApiJsonBody(V0WebhookUpdateBody, {
    url: { summary: 'A new URL', value: { url: 'https://crm.example.com/hooks/customers-v2' } },
    events: { summary: 'Other events', value: { events: ['customer.created', 'customer.deleted'] } },
  })
  @ApiOkResponse({ type: V0WebhookView, description: 'The webhook, updated (never its secret).' })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BODY_WRITE_ERRORS,
    'invalidWebhookId',
    'emptyWebhookUpdate',
    'badWebhookUrl',
    'refusedWebhookTarget',
    'unknownWebhookEvent',
    'webhookNotFound',
  )
  async update(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseWebhookIdPipe) id: string,
    @Body() body: V0WebhookUpdateBody,
  ) {
    if (body?.url === undefined && body?.events === undefined)
      throw new BadRequestException([V0_UPDATE_EMPTY]);
    const endpoint = await this.webhooks.update(ctx, 'v0', id, {
      url: body.url,
      events: body.events,
      urlField: 'url',
    });
    return toV0Webhook(endpoint);
  }

  @WebhookRoute.remove(V0_DOCS)
  async remove(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    return toV0Webhook(await this.webhooks.remove(ctx, 'v0', id));
  }

  @WebhookRoute.rotateSecret(V0_DOCS)
  async rotate(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    const { endpoint, secret } = await this.webhooks.rotateSecret(ctx, 'v0', id);
    return toV0Webhook(endpoint, secret);
  }

  @WebhookRoute.enable(V0_DOCS)
  async enable(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    return toV0Webhook(await this.webhooks.enable(ctx, 'v0', id));
  }

  @WebhookRoute.deliveries(V0_DOCS)
  async deliveries(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseWebhookIdPipe) id: string,
    @Query() q: V0PageQuery,
  ) {
    const skip = q.skip ?? 0;
    const take = q.take ?? 10;
    const { rows, total } = await this.webhooks.deliveryPage(ctx, 'v0', id, skip, take);
    return { data: rows.map(toDeliveryView), total, skip, take };
  }

  @WebhookRoute.redeliver(V0_DOCS)
  async redeliver(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseWebhookIdPipe) id: string,
    @Param('deliveryId', ParseDeliveryIdPipe) deliveryId: string,
  ) {
    return toDeliveryView(await this.webhooks.redeliver(ctx, 'v0', id, deliveryId));
  }
}
