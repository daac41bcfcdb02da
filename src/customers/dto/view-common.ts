/** Pieces shared by the OpenAPI response schemas of both surfaces. */
import type { AuditAction } from '../../audit/audit-entry.entity';

/** The UUID v4 example of the Devdraft document, used as the example customer id everywhere. */
export const EXAMPLE_CUSTOMER_ID = '550e8400-e29b-41d4-a716-446655440000';

export const AUDIT_ACTIONS = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.restored',
  'customer.status_changed',
] as const satisfies readonly AuditAction[];

// Fails to compile when AuditAction gains a value the list above does not document.
const _everyActionListed: Exclude<AuditAction, (typeof AUDIT_ACTIONS)[number]> extends never ? true : never =
  true;
void _everyActionListed;

/** `{"field": {"from": …, "to": …}}`: only the fields that changed. */
export const AUDIT_CHANGES_SCHEMA = {
  type: 'object' as const,
  readOnly: true,
  additionalProperties: {
    type: 'object',
    required: ['from', 'to'],
    properties: { from: { description: 'The value before' }, to: { description: 'The value after' } },
  },
  description: 'Only the fields that changed, each as `{ "from": old, "to": new }`.',
};
