import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/auth.decorators';
import { Ctx } from '../common/app-request';
import { laravelPage } from '../common/laravel-page';
import { StoreAnswerAs } from '../common/presenter';
import type { RequestContext } from '../common/request-context';
import {
  ApiErrors,
  ApiIdempotencyKey,
  ApiKeyAuth,
  AUTHENTICATED_ERRORS,
  BODY_WRITE_ERRORS,
  LIST_HEADERS,
} from '../customers/customers.api-docs';
import { StaxPageQuery } from '../customers/dto/stax-page-query.dto';
import { StaxWebhookBody, StaxWebhookQuery } from './dto/webhook.dto';
import { StaxDeliveryPage, StaxWebhookPage, StaxWebhookView } from './dto/webhook.view';
import { ParseDeliveryIdPipe, ParseWebhookIdPipe } from './webhook-id.pipe';
import { STAX_FIELDS_MISSING, STAX_FIELDS_TWICE, STAX_UPDATE_EMPTY } from './webhook-messages';
import { toDeliveryView, toStaxWebhook, withoutSecret } from './webhook.views';
import { WebhookRoute, WebhookSurfaceDocs } from './webhook-routes';
import { ApiWebhookId, SIGNING } from './webhooks.api-docs';
import { WebhooksService } from './webhooks.service';

/** The Stax fields of a create or an update: from the query or from a JSON body, not both. */
function staxFields(query: StaxWebhookQuery, body: StaxWebhookBody | undefined): StaxWebhookQuery {
  const fromBody = !!body && (body.target_url !== undefined || body.event !== undefined);
  const fromQuery = query.target_url !== undefined || query.event !== undefined;
  if (fromBody && fromQuery) throw new BadRequestException([STAX_FIELDS_TWICE]);
  return fromBody ? body : query;
}

/** The Stax surface's words in the routes both surfaces share (WebhookRoute). */
const STAX_DOCS: WebhookSurfaceDocs = {
  prefix: 'stax',
  view: StaxWebhookView,
  deletedAt: 'deleted_at',
  deliveryPage: StaxDeliveryPage,
  deliveryPageDescription: 'One page of deliveries.',
  badPageQuery: 'badStaxQuery',
};

/**
 * Stax-compatible webhooks: `POST/GET /webhook`, `PUT/DELETE /webhook/{id}`. Thin over
 * WebhooksService.
 */
@ApiTags('Stax-compatible webhooks')
@ApiKeyAuth()
@Controller('webhook')
export class StaxWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(200)
  @RequireScope('webhooks:write')
  @StoreAnswerAs(withoutSecret)
  @ApiOperation({
    operationId: 'staxCreateWebhook',
    summary: 'Subscribe a URL to create_customer or update_customer',
    description:
      'As Stax takes them, `target_url` and `event` may be query parameters; a JSON body with them works too ' +
      '(not both). `create_customer` fires when a customer is created, `update_customer` on every other change ' +
      '(an update, a soft delete, a restore). The body of a delivery is the customer as `GET /customer/{id}` ' +
      'showed it at that version, with the header `stax-event-name`. ' +
      SIGNING +
      ' A merchant has at most 20 webhooks (both surfaces together). Needs `webhooks:write`.',
  })
  @ApiIdempotencyKey()
  @ApiExtraModels(StaxWebhookBody)
  @ApiBody({ required: false, schema: { $ref: getSchemaPath(StaxWebhookBody) } })
  @ApiOkResponse({ type: StaxWebhookView, description: 'The webhook, with its secret (shown once).' })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BODY_WRITE_ERRORS,
    'staxWebhookFields',
    'badWebhookUrl',
    'refusedWebhookTarget',
    'tooManyWebhooks',
  )
  async create(@Ctx() ctx: RequestContext, @Query() query: StaxWebhookQuery, @Body() body: StaxWebhookBody) {
    const fields = staxFields(query, body);
    if (!fields.target_url || !fields.event) throw new BadRequestException([STAX_FIELDS_MISSING]);
    const { endpoint, secret } = await this.webhooks.create(ctx, 'stax', {
      url: fields.target_url,
      events: [fields.event],
      urlField: 'target_url',
    });
    return toStaxWebhook(endpoint, secret);
  }

  @Get()
  @RequireScope('webhooks:read')
  @ApiOperation({ operationId: 'staxListWebhooks', summary: 'List webhooks (Laravel page), newest first' })
  @ApiOkResponse({ type: StaxWebhookPage, description: 'One page of live webhooks.', headers: LIST_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'badStaxQuery')
  async list(@Ctx() ctx: RequestContext, @Query() q: StaxPageQuery, @Req() req: FastifyRequest) {
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const { rows, total } = await this.webhooks.list(ctx, 'stax', (page - 1) * perPage, perPage);
    return laravelPage(
      req,
      rows.map((e) => toStaxWebhook(e)),
      { total, exact: true },
      page,
      perPage,
    );
  }

  @WebhookRoute.get(STAX_DOCS)
  async get(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    return toStaxWebhook(await this.webhooks.get(ctx, 'stax', id));
  }

  @Put(':id')
  @RequireScope('webhooks:write')
  @ApiOperation({
    operationId: 'staxUpdateWebhook',
    summary: 'Change a webhook’s target_url, its event, or both',
    description:
      'Takes `target_url` and `event` as create does (query parameters, or a JSON body; not both); what is ' +
      'given changes, what is left out stays. The URL is checked as at creation, including where it resolves ' +
      'now. Deliveries already queued keep their event and go to the new URL from their next attempt; changes ' +
      'made from now on are sent for the new event. The secret stays. Needs `webhooks:write`.',
  })
  @ApiWebhookId()
  @ApiIdempotencyKey()
  @ApiBody({ required: false, schema: { $ref: getSchemaPath(StaxWebhookBody) } })
  @ApiOkResponse({ type: StaxWebhookView, description: 'The webhook, updated (never its secret).' })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BODY_WRITE_ERRORS,
    'invalidWebhookId',
    'emptyWebhookUpdate',
    'badWebhookUrl',
    'refusedWebhookTarget',
    'webhookNotFound',
  )
  async update(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseWebhookIdPipe) id: string,
    @Query() query: StaxWebhookQuery,
    @Body() body: StaxWebhookBody,
  ) {
    const { target_url: url, event } = staxFields(query, body);
    if (url == null && event == null) throw new BadRequestException([STAX_UPDATE_EMPTY]);
    const endpoint = await this.webhooks.update(ctx, 'stax', id, {
      url: url ?? undefined,
      events: event == null ? undefined : [event],
      urlField: 'target_url',
    });
    return toStaxWebhook(endpoint);
  }

  @WebhookRoute.remove(STAX_DOCS)
  async remove(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    return toStaxWebhook(await this.webhooks.remove(ctx, 'stax', id));
  }

  @WebhookRoute.rotateSecret(STAX_DOCS)
  async rotate(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    const { endpoint, secret } = await this.webhooks.rotateSecret(ctx, 'stax', id);
    return toStaxWebhook(endpoint, secret);
  }

  @WebhookRoute.enable(STAX_DOCS)
  async enable(@Ctx() ctx: RequestContext, @Param('id', ParseWebhookIdPipe) id: string) {
    return toStaxWebhook(await this.webhooks.enable(ctx, 'stax', id));
  }

  @WebhookRoute.deliveries(STAX_DOCS)
  async deliveries(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseWebhookIdPipe) id: string,
    @Query() q: StaxPageQuery,
    @Req() req: FastifyRequest,
  ) {
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const { rows, total } = await this.webhooks.deliveryPage(ctx, 'stax', id, (page - 1) * perPage, perPage);
    return laravelPage(req, rows.map(toDeliveryView), { total, exact: true }, page, perPage);
  }

  @WebhookRoute.redeliver(STAX_DOCS)
  async redeliver(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseWebhookIdPipe) id: string,
    @Param('deliveryId', ParseDeliveryIdPipe) deliveryId: string,
  ) {
    return toDeliveryView(await this.webhooks.redeliver(ctx, 'stax', id, deliveryId));
  }
}
