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
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx, RequestContext } from '../common/request-context';
import { laravelPage } from '../common/laravel-page';
import { ParseCustomerIdPipe } from '../common/parse-id.pipe';
import type { Customer } from './customer.entity';
import type { CustomerPatch } from './customer-rules';
import { etagOf, toStaxAuditEntry, toStaxCustomer } from './customer.views';
import { CustomersService } from './customers.service';
import { StaxCustomerBody } from './dto/stax-customer.dto';
import { STAX_FILTER_FIELDS, STAX_KEYWORD_FIELDS, StaxListQuery } from './dto/stax-list-query.dto';
import { StaxPageQuery } from './dto/stax-page-query.dto';

/** The Stax fields a client can write; everything else in the body is read-only and ignored. */
const STAX_WRITABLE = [
  'firstname',
  'lastname',
  'company',
  'email',
  'cc_emails',
  'cc_sms',
  'phone',
  'address_1',
  'address_2',
  'address_city',
  'address_state',
  'address_zip',
  'address_country',
  'notes',
  'reference',
  'options',
  'allow_invoice_credit_card_payments',
] as const;

function staxPatch(body: StaxCustomerBody): CustomerPatch {
  const patch: Record<string, unknown> = {};
  for (const k of STAX_WRITABLE) if (body[k] !== undefined) patch[k] = body[k];
  return patch;
}

/** Stax (Fattmerchant) compatible routes. Thin: translation to and from CustomersService. */
@ApiTags('Stax-compatible customers')
@Controller('customer')
export class StaxCustomersController {
  constructor(private readonly customers: CustomersService) {}

  private send(res: Response, c: Customer) {
    res.setHeader('ETag', etagOf(c));
    return toStaxCustomer(c);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'staxCreateCustomer',
    summary: 'Create a customer (answers 200, as Stax does)',
  })
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: StaxCustomerBody,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(res, await this.customers.create(ctx, staxPatch(body), { identityRule: true }));
  }

  @Get()
  @ApiOperation({ operationId: 'staxListCustomers', summary: 'List and search customers (Laravel page)' })
  async list(@Ctx() ctx: RequestContext, @Query() q: StaxListQuery, @Req() req: Request) {
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const filters: Record<string, string> = {};
    for (const f of STAX_FILTER_FIELDS) if (q[f] !== undefined && q[f] !== '') filters[f] = q[f];
    const keywords = [...(q['keywords[]'] ?? []), ...(q.keywords ?? [])].filter((k) => k !== '');
    const { rows, total } = await this.customers.search(ctx, {
      filters,
      anyOf: keywords.map((text) => ({ fields: STAX_KEYWORD_FIELDS, text })),
      equals: {},
      sort: q.sort ?? 'created_at',
      order: q.order ?? 'DESC',
      trashed: q.trashed ?? 'without',
      skip: (page - 1) * perPage,
      take: perPage,
    });
    return laravelPage(req, rows.map(toStaxCustomer), total, page, perPage);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'staxGetCustomer', summary: 'Get a customer (soft-deleted ones too)' })
  async get(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(res, await this.customers.get(ctx, id, { includeDeleted: true }));
  }

  @Put(':id')
  @ApiOperation({
    operationId: 'staxUpdateCustomer',
    summary: 'Update a customer: only the fields sent change (get-then-merge)',
  })
  async update(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Body() body: StaxCustomerBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (body.id !== undefined && (typeof body.id !== 'string' || body.id.toLowerCase() !== id)) {
      throw new BadRequestException(['id in the body must match the customer id in the path']);
    }
    return this.send(
      res,
      await this.customers.update(ctx, id, staxPatch(body), { identityRule: true, ifMatch }),
    );
  }

  @Delete(':id')
  @ApiOperation({ operationId: 'staxDeleteCustomer', summary: 'Soft-delete a customer' })
  async remove(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(res, await this.customers.remove(ctx, id, { ifMatch }));
  }

  @Put(':id/restore')
  @ApiOperation({ operationId: 'staxRestoreCustomer', summary: 'Restore a soft-deleted customer' })
  async restore(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(res, await this.customers.restore(ctx, id, { ifMatch }));
  }

  @Get(':id/audit-log')
  @ApiOperation({ operationId: 'staxCustomerAuditLog', summary: "A customer's audit log, newest first" })
  async auditLog(
    @Ctx() ctx: RequestContext,
    @Param('id', ParseCustomerIdPipe) id: string,
    @Query() q: StaxPageQuery,
    @Req() req: Request,
  ) {
    const page = q.page ?? 1;
    const perPage = q.per_page ?? 50;
    const { entries, total } = await this.customers.auditLog(ctx, id, (page - 1) * perPage, perPage);
    return laravelPage(req, entries.map(toStaxAuditEntry), total, page, perPage);
  }
}
