/**
 * A client written as a new user would write it: types generated from openapi.json by
 * openapi-typescript (`./api`, made by the test, not committed) and calls made through
 * openapi-fetch. test/typed-client.e2e-spec.ts type-checks this file against freshly generated
 * types, so a call the document makes impossible to write (a partial update, say) fails the test,
 * and then runs the compiled functions against the real service.
 *
 * Outside that test `./api` does not exist, so this folder is left out of tsconfig.json and ESLint.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './api';

type StaxCustomer = components['schemas']['StaxCustomerView'];
type V0Customer = components['schemas']['V0CustomerView'];
type ErrorView = components['schemas']['ErrorView'];

export type Client = ReturnType<typeof staxClient>;

/** Stax style: Authorization: Bearer <client_secret>. */
export function staxClient(baseUrl: string, secret: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${secret}` } });
}

/** v0 style: the x-client-key + x-client-secret pair. */
export function v0Client(baseUrl: string, clientKey: string, secret: string) {
  return createClient<paths>({
    baseUrl,
    headers: { 'x-client-key': clientKey, 'x-client-secret': secret },
  });
}

function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`${result.response.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

/** POST /customer with a few fields: no allow_invoice_credit_card_payments, no read-only ones. */
export async function staxCreate(client: Client, email: string): Promise<StaxCustomer> {
  return ok(await client.POST('/customer', { body: { firstname: 'Ada', lastname: 'Lovelace', email } }));
}

/** PUT /customer/{id} with one field: the partial update the issue could not write. */
export async function staxSetCompany(client: Client, id: string, company: string): Promise<StaxCustomer> {
  return ok(await client.PUT('/customer/{id}', { params: { path: { id } }, body: { company } }));
}

/**
 * GET the customer, then PUT back the whole object it answered, as Stax clients do, with the two
 * Stax fields this service does not show (merchant_id, files) as Stax would have them.
 */
export async function staxPutBack(client: Client, id: string, merchantId: string): Promise<StaxCustomer> {
  const read = ok(await client.GET('/customer/{id}', { params: { path: { id } } }));
  const body = { ...read, merchant_id: merchantId, files: [] };
  return ok(await client.PUT('/customer/{id}', { params: { path: { id } }, body }));
}

/** GET /customer with the order in lower case, as the service accepts it. */
export async function staxListByEmail(client: Client, email: string) {
  return ok(await client.GET('/customer', { params: { query: { email, order: 'asc', per_page: 5 } } }));
}

/** A create the service refuses: the typed error envelope and the status. */
export async function staxCreateInvalid(client: Client): Promise<{ status: number; error: ErrorView }> {
  const { data, error, response } = await client.POST('/customer', {
    body: { firstname: 'Ada', address_country: 'US' },
  });
  if (data !== undefined || error === undefined) throw new Error('expected an error');
  return { status: response.status, error };
}

/** POST /api/v0/customers with the required fields only (customer_type and status left out). */
export async function v0Create(client: Client, email: string): Promise<V0Customer> {
  return ok(
    await client.POST('/api/v0/customers', {
      body: { first_name: 'Grace', last_name: 'Hopper', phone_number: '+1 555 555 0100', email },
    }),
  );
}

/** PATCH /api/v0/customers/{id} with one field. */
export async function v0SetPhone(client: Client, id: string, phone: string): Promise<V0Customer> {
  return ok(
    await client.PATCH('/api/v0/customers/{id}', {
      params: { path: { id } },
      body: { phone_number: phone },
    }),
  );
}

/** GET /api/v0/customers, filtered by email. */
export async function v0ListByEmail(client: Client, email: string) {
  return ok(await client.GET('/api/v0/customers', { params: { query: { email, take: 5 } } }));
}
