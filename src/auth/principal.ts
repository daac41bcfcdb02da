export const SCOPES = ['customers:read', 'customers:write', 'customers:reactivate'] as const;
export type Scope = (typeof SCOPES)[number];
export const DEFAULT_SCOPES: Scope[] = ['customers:read', 'customers:write'];

/** The authenticated caller: one API key of one merchant. */
export interface Principal {
  merchantId: string;
  clientKey: string;
  scopes: ReadonlySet<string>;
}
