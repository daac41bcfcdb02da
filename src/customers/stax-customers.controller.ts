import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Ctx } from '../common/app-request';
import { PresentWith } from '../common/presenter';
import type { RequestContext } from '../common/request-context';
import { laravelPage } from '../common/laravel-page';
import { ParseCustomerIdPipe } from '../common/parse-id.pipe';
import type { Customer } from './customer.entity';
import { versionTag } from './customer-rules';
import { toStaxAuditEntry, toStaxCustomer } from './customer.views';
import {
  ApiCustomerId,
  ApiErrors,
  ApiIdempotencyKey,
  ApiIfMatch,
  ApiJsonBody,
  ApiKeyAuth,
  AUTHENTICATED_ERRORS,
  BODILESS_WRITE_ERRORS,
  BODY_WRITE_ERRORS,
  BULK_DESCRIPTION,
  BULK_HEADERS,
  BULK_OK,
  BY_ID_ERRORS,
  CUSTOMER_HEADERS,
  LIST_HEADERS,
  WRITE_HEADERS,
} from './customers.api-docs';
import { CountsItems } from '../rate-limit/api-key-throttler.guard';
import { BULK_MAX_ITEMS, CustomersService } from './customers.service';
import { presentStaxBulk, staxBulkItem } from './bulk-items';
import { StaxBulkBody, StaxBulkResponse } from './dto/bulk.dto';
import { STAX_BULK_EXAMPLES, STAX_CREATE_EXAMPLES, STAX_UPDATE_EXAMPLES } from './dto/stax-customer.examples';
import { StaxAuditPage, StaxCustomerPage, StaxCustomerView } from './dto/stax-customer.view';
import { StaxCustomerBody } from './dto/stax-customer.dto';
import { echoedFieldsProblem, staxPatch } from './surface-patch';
import { STAX_FILTER_FIELDS, StaxListQuery } from './dto/stax-list-query.dto';
import { StaxPageQuery } from './dto/stax-page-query.dto';

function checkEchoedFields(body: StaxCustomerBody, ctx: RequestContext): void {
  const problem = echoedFieldsProblem(body, ctx.principal.merchantId);
  if (problem) throw new BadRequestException([problem]);
}

/** A customer as the Stax routes answer with it. */
function present(c: Customer) {
  return { body: toStaxCustomer(c), etag: versionTag(c) };
}

/** Stax (Fattmerchant) compatible routes. Thin: translation to and from CustomersService. */
@ApiTags('Stax-compatible customers')
@ApiKeyAuth()
@PresentWith(present)
@Controller('customer')
export class StaxCustomersController {
  constructor(private readonly customers: CustomersService) {}

  private send(res: FastifyReply, c: Customer) {
    const { body, etag } = present(c);
    res.header('ETag', etag);
    return body;
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'staxCreateCustomer',
    summary: 'Create a customer (answers 200, as Stax does)',
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(StaxCustomerBody, STAX_CREATE_EXAMPLES)
  @ApiOkResponse({ type: StaxCustomerView, description: 'The new customer.', headers: WRITE_HEADERS })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BODY_WRITE_ERRORS,
    'alpha2Country',
    'identityRule',
    'merchantIdMismatch',
    'filesNotEmpty',
    'emailTaken',
  )
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: StaxCustomerBody,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    checkEchoedFields(body, ctx);
    return this.send(res, await this.customers.create(ctx, staxPatch(body), { identityRule: true }));
  }

  @Post('bulk')
  @HttpCode(200)
  @PresentWith(presentStaxBulk)
  @CountsItems()
  @ApiOperation({
    operationId: 'staxBulkCustomers',
    summary: `Create and update up to ${BULK_MAX_ITEMS} customers in one request`,
    description: BULK_DESCRIPTION,
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(StaxBulkBody, STAX_BULK_EXAMPLES)
  @ApiOkResponse({ type: StaxBulkResponse, description: BULK_OK, headers: BULK_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BODY_WRITE_ERRORS, 'badBulkEnvelope')
  async bulk(@Ctx() ctx: RequestContext, @Body() body: StaxBulkBody) {
    const items = await Promise.all(body.items.map((raw) => staxBulkItem(raw, ctx.principal.merchantId)));
    const atomic = body.atomic ?? false;
    return presentStaxBulk(
      await this.customers.bulk(ctx, items, { identityRule: true, atomic, createdStatus: 200 }),
    ).body;
  }

  @Get()
  @ApiOperation({ operationId: 'staxListCustomers', summary: 'List and search customers (Laravel page)' })
  @ApiOkResponse({
    type: StaxCustomerPage,
    description: 'One page of matching customers.',
    headers: LIST_HEADERS,
  })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'badStaxQuery')
  async list(@Ctx() ctx: RequestContext, @Query() q: StaxListQuery, @Req() req: FastifyRequest) {
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const startsWith = STAX_FILTER_FIELDS.flatMap((column) => {
      const text = q[column];
      return text !== undefined && text !== '' ? [{ column, text }] : [];
    });
    const keywords = [...(q['keywords[]'] ?? []), ...(q.keywords ?? [])].filter((k) => k !== '');
    const found = await this.customers.search(ctx, {
      startsWith,
      keywords,
      sort: q.sort ?? 'created_at',
      order: q.order ?? 'DESC',
      trashed: q.trashed ?? 'without',
      skip: (page - 1) * perPage,
      after: q.after,
      take: perPage,
    });
    const last = found.rows.length === perPage ? found.rows[found.rows.length - 1].id : null;
    const cursor = q.after !== undefined ? { nextAfter: last } : undefined;
    return laravelPage(req, found.rows.map(toStaxCustomer), found, page, perPage, cursor);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'staxGetCustomer', summary: 'Get a customer (soft-deleted ones too)' })
  @ApiCustomerId()
  @ApiOkResponse({
    type: StaxCustomerView,
    description: 'The customer; a soft-deleted one has deleted_at set.',
    headers: CUSTOMER_HEADERS,
  })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BY_ID_ERRORS)
  async get(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.send(res, await this.customers.get(ctx, id, { includeDeleted: true }));
  }

  @Put(':id')
  @ApiOperation({
    operationId: 'staxUpdateCustomer',
    summary: 'Update a customer: only the fields sent change (get-then-merge)',
  })
  @ApiCustomerId()
  @ApiIdempotencyKey()
  @ApiIfMatch()
  @ApiJsonBody(StaxCustomerBody, STAX_UPDATE_EXAMPLES)
  @ApiOkResponse({ type: StaxCustomerView, description: 'The updated customer.', headers: WRITE_HEADERS })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BY_ID_ERRORS,
    ...BODY_WRITE_ERRORS,
    'alpha2Country',
    'identityRule',
    'bodyIdMismatch',
    'merchantIdMismatch',
    'filesNotEmpty',
    'emailTaken',
    'ifMatchFailed',
  )
  async update(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Body() body: StaxCustomerBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    if (body.id !== undefined && (typeof body.id !== 'string' || body.id.toLowerCase() !== id)) {
      throw new BadRequestException(['id in the body must match the customer id in the path']);
    }
    checkEchoedFields(body, ctx);
    return this.send(
      res,
      await this.customers.update(ctx, id, staxPatch(body), { identityRule: true, ifMatch }),
    );
  }

  @Delete(':id')
  @ApiOperation({ operationId: 'staxDeleteCustomer', summary: 'Soft-delete a customer' })
  @ApiCustomerId()
  @ApiIdempotencyKey()
  @ApiIfMatch()
  @ApiOkResponse({
    type: StaxCustomerView,
    description: 'The customer, with deleted_at set. Already deleted is 404.',
    headers: WRITE_HEADERS,
  })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BY_ID_ERRORS, ...BODILESS_WRITE_ERRORS, 'ifMatchFailed')
  async remove(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.send(res, await this.customers.remove(ctx, id, { ifMatch }));
  }

  @Put(':id/restore')
  @ApiOperation({ operationId: 'staxRestoreCustomer', summary: 'Restore a soft-deleted customer' })
  @ApiCustomerId()
  @ApiIdempotencyKey()
  @ApiIfMatch()
  @ApiOkResponse({
    type: StaxCustomerView,
    description: 'The customer, deleted_at cleared. 409 if its email now belongs to another live customer.',
    headers: WRITE_HEADERS,
  })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BY_ID_ERRORS,
    ...BODILESS_WRITE_ERRORS,
    'emailTaken',
    'ifMatchFailed',
  )
  async restore(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.send(res, await this.customers.restore(ctx, id, { ifMatch }));
  }

  @Get(':id/audit-log')
  @ApiOperation({ operationId: 'staxCustomerAuditLog', summary: "A customer's audit log, newest first" })
  @ApiCustomerId()
  @ApiOkResponse({
    type: StaxAuditPage,
    description: 'One page of audit entries, newest first (a deleted customer has one too).',
    headers: LIST_HEADERS,
  })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BY_ID_ERRORS, 'badStaxQuery')
  async auditLog(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Query() q: StaxPageQuery,
    @Req() req: FastifyRequest,
  ) {
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const { entries, total } = await this.customers.auditLog(ctx, id, (page - 1) * perPage, perPage);
    return laravelPage(req, entries.map(toStaxAuditEntry), { total, exact: true }, page, perPage);
  }
}
