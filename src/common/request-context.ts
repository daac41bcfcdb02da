import type { Principal } from '../auth/principal';
import type { SqlTransaction } from '../database/sql-transaction';

/**
 * A step run inside a write's transaction, after the change and its audit entries and before the
 * COMMIT, with what the write returns: whatever it adds commits with the change or not at all.
 * The idempotency layer stores the response a retry replays this way.
 */
export type BeforeCommit = (tx: SqlTransaction, result: unknown) => Promise<void>;

/**
 * What a request carries into the services: who is calling, how to label the change it makes,
 * and what the caller's own layer adds to the change's transaction. Free of HTTP: the CLI and
 * the tests build one just as the HTTP layer does (app-request.ts).
 */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  idempotencyKey: string | null;
  beforeCommit: BeforeCommit | null;
}
