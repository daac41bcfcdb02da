/** The webhook routes' own messages, imported by the code and by the OpenAPI examples alike. */
export const MAX_ENDPOINTS_PER_MERCHANT = 20;
export const WEBHOOK_NOT_FOUND = 'Webhook not found';
export const DELIVERY_NOT_FOUND = 'Delivery not found';
export const INVALID_WEBHOOK_ID = 'Webhook ID must be a valid UUID';
export const INVALID_DELIVERY_ID = 'Delivery ID must be a valid UUID';
export const TOO_MANY_ENDPOINTS = `A merchant can have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhooks; delete one first`;
export const WEBHOOK_DISABLED = 'This webhook is disabled; enable it before redelivering';
export const STAX_FIELDS_MISSING =
  'target_url and event are required (as query parameters or in a JSON body)';
export const STAX_UPDATE_EMPTY =
  'Give target_url or event, or both, to change (as query parameters or in a JSON body)';
export const V0_UPDATE_EMPTY = 'Give url or events, or both, to change';
export const STAX_FIELDS_TWICE =
  'Give target_url and event either as query parameters or in the body, not both';
export const WEBHOOKS_NOT_CONFIGURED =
  'Webhooks are not configured on this service (WEBHOOK_SECRET_KEY is not set)';
