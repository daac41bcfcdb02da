export const SCOPES = [
  'customers:read',
  'customers:write',
  'customers:reactivate',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Scope = (typeof SCOPES)[number];
/**
 * A key made without naming scopes. The webhook scopes are not among them: a webhook sends every
 * customer change to a URL of the caller's choosing, so it takes a key made for it.
 */
export const DEFAULT_SCOPES: Scope[] = ['customers:read', 'customers:write'];

/** The authenticated caller: one API key of one merchant. */
export interface Principal {
  merchantId: string;
  clientKey: string;
  scopes: ReadonlySet<string>;
}
