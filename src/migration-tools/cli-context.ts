import { randomUUID } from 'node:crypto';
import { SCOPES } from '../auth/principal';
import type { BeforeCommit, RequestContext } from '../common/request-context';

/**
 * The RequestContext of a CLI command: its changes are audited with `actor` (`cli:import`,
 * `cli:demo-seed`) and one request id per run, and may change any customer of the merchant (the
 * operator has the database already, so every scope).
 */
export function cliContext(
  merchantId: string,
  actor: string,
  beforeCommit: BeforeCommit | null = null,
): RequestContext {
  return {
    principal: { merchantId, clientKey: actor, scopes: new Set(SCOPES) },
    requestId: randomUUID(),
    idempotencyKey: null,
    beforeCommit,
  };
}
