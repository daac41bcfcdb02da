/**
 * Helpers shared by the Stax-surface end-to-end tests (test/stax-*.e2e-spec.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { Customer } from '../../src/customers/customer.entity';
import { http, TestApp, TestMerchant } from './app';

/** Stax timestamps: `2024-03-22 14:15:30`, UTC. */
export const STAX_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/**
 * Asserts the error envelope (docs/behaviour.md, "Errors"): exactly {statusCode, error, message, requestId},
 * requestId equal to the x-request-id header, and, when given, a message containing `message`.
 */
export function expectError(res: Response, status: number, message?: string): void {
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({
    status,
    body: { statusCode: status },
  });
  expect(Object.keys(res.body as object).sort()).toEqual(['error', 'message', 'requestId', 'statusCode']);
  expect(typeof res.body.error).toBe('string');
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  expect(typeof res.body.requestId).toBe('string');
  if (message !== undefined) {
    const messages: unknown[] = Array.isArray(res.body.message) ? res.body.message : [res.body.message];
    expect(messages).toContainEqual(expect.stringContaining(message));
  }
}

/** The messages of a validation error, always as an array. */
export function messagesOf(res: Response): string[] {
  return Array.isArray(res.body.message) ? (res.body.message as string[]) : [res.body.message as string];
}

/** An error body without its per-request id, to compare two error answers. */
export function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...body };
  delete rest.requestId;
  return rest;
}

/** The stored row, read straight from the database (millisecond timestamps, version). */
export async function storedCustomer(t: TestApp, id: string): Promise<Customer> {
  return t.app.get(DataSource).getRepository(Customer).findOneByOrFail({ id });
}

/** Sets stored timestamps directly, so ordering tests do not depend on the clock. */
export async function setStoredTimestamps(
  t: TestApp,
  id: string,
  values: { created_at?: Date; updated_at?: Date },
): Promise<void> {
  await t.app.get(DataSource).getRepository(Customer).update({ id }, values);
}

export interface StaxAuditEntry {
  id: string;
  customer_id: string;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  actor: string;
  request_id: string;
  idempotency_key: string | null;
  created_at: string;
}

/** All audit entries of a customer, newest first. */
export async function auditEntries(t: TestApp, m: TestMerchant, id: string): Promise<StaxAuditEntry[]> {
  const res = await http(t)
    .get(`/customer/${id}/audit-log`)
    .set(m.bearer)
    .query({ per_page: 200 })
    .expect(200);
  return res.body.data as StaxAuditEntry[];
}

/** A unique email address. */
export function uniqueEmail(prefix = 'c'): string {
  return `${prefix}.${randomUUID()}@example.com`;
}
