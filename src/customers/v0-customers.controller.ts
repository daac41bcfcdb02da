import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Ctx } from '../common/app-request';
import { PresentWith } from '../common/presenter';
import type { RequestContext } from '../common/request-context';
import { ParseCustomerIdPipe } from '../common/parse-id.pipe';
import type { Customer } from './customer.entity';
import { emailKey, versionTag } from './customer-rules';
import { toV0AuditEntry, toV0Customer } from './customer.views';
import {
  ApiCustomerId,
  ApiErrors,
  ApiIdempotencyKey,
  ApiIfMatch,
  ApiJsonBody,
  ApiKeyAuth,
  AUTHENTICATED_ERRORS,
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
import { presentV0Bulk, v0BulkItem } from './bulk-items';
import { V0BulkBody, V0BulkResponse } from './dto/bulk.dto';
import { V0_BULK_EXAMPLES, V0_CREATE_EXAMPLES, V0_UPDATE_EXAMPLES } from './dto/v0-customer.examples';
import { V0AuditList, V0CustomerList, V0CustomerView } from './dto/v0-customer.view';
import { V0CreateCustomerBody, V0UpdateCustomerBody } from './dto/v0-customer.dto';
import { V0ListQuery, V0PageQuery } from './dto/v0-list-query.dto';
import { v0Patch } from './surface-patch';

/** A customer as the v0 routes answer with it. */
function present(c: Customer) {
  return { body: toV0Customer(c), etag: versionTag(c) };
}

/** Devdraft-style v0 routes. Thin: translation to and from CustomersService. */
@ApiTags('v0 customers')
@ApiKeyAuth()
@PresentWith(present)
@Controller('api/v0/customers')
export class V0CustomersController {
  constructor(private readonly customers: CustomersService) {}

  private send(res: FastifyReply, c: Customer) {
    const { body, etag } = present(c);
    res.header('ETag', etag);
    return body;
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'v0CreateCustomer', summary: 'Create a customer' })
  @ApiIdempotencyKey()
  @ApiJsonBody(V0CreateCustomerBody, V0_CREATE_EXAMPLES)
  @ApiCreatedResponse({ type: V0CustomerView, description: 'The new customer.', headers: WRITE_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BODY_WRITE_ERRORS, 'v0Validation', 'v0Enums', 'emailTaken')
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: V0CreateCustomerBody,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.send(res, await this.customers.create(ctx, v0Patch(body), { identityRule: false }));
  }

  @Post('bulk')
  @HttpCode(200)
  @PresentWith(presentV0Bulk)
  @CountsItems()
  @ApiOperation({
    operationId: 'v0BulkCustomers',
    summary: `Create and update up to ${BULK_MAX_ITEMS} customers in one request`,
    description: BULK_DESCRIPTION,
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(V0BulkBody, V0_BULK_EXAMPLES)
  @ApiOkResponse({ type: V0BulkResponse, description: BULK_OK, headers: BULK_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BODY_WRITE_ERRORS, 'badBulkEnvelope')
  async bulk(@Ctx() ctx: RequestContext, @Body() body: V0BulkBody) {
    const items = await Promise.all(body.items.map((raw) => v0BulkItem(raw)));
    const atomic = body.atomic ?? false;
    return presentV0Bulk(
      await this.customers.bulk(ctx, items, { identityRule: false, atomic, createdStatus: 201 }),
    ).body;
  }

  @Get()
  @ApiOperation({ operationId: 'v0ListCustomers', summary: 'List customers, newest first' })
  @ApiOkResponse({ type: V0CustomerList, description: 'One page of live customers.', headers: LIST_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'badV0Query')
  async list(@Ctx() ctx: RequestContext, @Query() q: V0ListQuery) {
    const skip = q.skip ?? 0;
    const take = q.take ?? 10;
    const found = await this.customers.search(ctx, {
      startsWith: [],
      keywords: [],
      name: q.name || undefined,
      emailKey: q.email ? (emailKey(q.email, false) ?? undefined) : undefined,
      status: q.status,
      sort: 'created_at',
      order: 'DESC',
      trashed: 'without',
      skip,
      after: q.after,
      take,
    });
    return {
      data: found.rows.map(toV0Customer),
      total: found.total,
      total_relation: found.exact ? 'eq' : 'gte',
      skip,
      take,
    };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'v0GetCustomer', summary: 'Get a customer (a deleted one is 404)' })
  @ApiCustomerId()
  @ApiOkResponse({ type: V0CustomerView, description: 'The customer.', headers: CUSTOMER_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BY_ID_ERRORS)
  async get(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.send(res, await this.customers.get(ctx, id, { includeDeleted: false }));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'v0UpdateCustomer',
    summary: 'Update a customer: only the fields sent change',
  })
  @ApiCustomerId()
  @ApiIdempotencyKey()
  @ApiIfMatch()
  @ApiJsonBody(V0UpdateCustomerBody, V0_UPDATE_EXAMPLES)
  @ApiOkResponse({ type: V0CustomerView, description: 'The updated customer.', headers: WRITE_HEADERS })
  @ApiErrors(
    ...AUTHENTICATED_ERRORS,
    ...BY_ID_ERRORS,
    ...BODY_WRITE_ERRORS,
    'v0Validation',
    'v0Enums',
    'reactivateScope',
    'emailTaken',
    'ifMatchFailed',
  )
  async update(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Body() body: V0UpdateCustomerBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.send(
      res,
      await this.customers.update(ctx, id, v0Patch(body), { identityRule: false, ifMatch }),
    );
  }

  @Get(':id/audit-log')
  @ApiOperation({ operationId: 'v0CustomerAuditLog', summary: "A customer's audit log, newest first" })
  @ApiCustomerId()
  @ApiOkResponse({ type: V0AuditList, description: 'Audit entries, newest first.', headers: LIST_HEADERS })
  @ApiErrors(...AUTHENTICATED_ERRORS, ...BY_ID_ERRORS, 'badV0Query')
  async auditLog(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Query() q: V0PageQuery,
  ) {
    const skip = q.skip ?? 0;
    const take = q.take ?? 10;
    const { entries, total } = await this.customers.auditLog(ctx, id, skip, take);
    return { data: entries.map(toV0AuditEntry), total, skip, take };
  }
}
