/**
 * OpenAPI schemas of the webhook responses. They describe what webhook.views.ts returns.
 */
import { LaravelPageView } from '../../common/laravel-page.view';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALL_EVENTS, STAX_EVENTS, V0_EVENTS } from '../webhook-events';

const SECRET =
  'The signing secret (`whsec_…`), only in the answer of create and rotate-secret: store it, it is not shown ' +
  'again (a replay of the same idempotency-key shows `null`). Verify deliveries with it (Standard Webhooks).';
const stax = (example: string | null, nullable = false) => ({
  type: 'string' as const,
  nullable,
  readOnly: true,
  example,
  description: 'UTC, `YYYY-MM-DD HH:MM:SS`.',
});
const iso = (nullable = false) => ({
  type: 'string' as const,
  format: 'date-time',
  nullable,
  readOnly: true,
  description: 'ISO 8601, UTC.',
});

export class StaxWebhookView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) merchant_id!: string;
  @ApiProperty({ example: 'https://crm.example.com/hooks/stax' }) url!: string;
  @ApiProperty({ enum: STAX_EVENTS }) event!: string;
  @ApiProperty(stax('2024-03-22 14:15:30')) created_at!: string;
  @ApiProperty(stax('2024-03-22 14:15:30')) updated_at!: string;
  @ApiProperty(stax(null, true)) deleted_at!: string | null;
  @ApiProperty({
    ...stax(null, true),
    description:
      'Set when the webhook was disabled after failing for days (see disabled_reason); POST /webhook/{id}/enable turns it back on.',
  })
  disabled_at!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: null }) disabled_reason!: string | null;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: SECRET }) secret?: string | null;
}

export class V0WebhookView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'https://crm.example.com/hooks/customers' }) url!: string;
  @ApiProperty({ type: [String], enum: [...V0_EVENTS, ALL_EVENTS], description: '`["*"]`: every event.' })
  events!: string[];
  @ApiProperty({ description: 'false once disabled after failing for days; POST …/enable turns it back on.' })
  enabled!: boolean;
  @ApiProperty({ type: 'string', nullable: true, example: null }) disabled_reason!: string | null;
  @ApiProperty(iso()) createdAt!: string;
  @ApiProperty(iso()) updatedAt!: string;
  @ApiProperty(iso(true)) deletedAt!: string | null;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: SECRET }) secret?: string | null;
}

export class StaxWebhookPage extends LaravelPageView {
  @ApiProperty({ type: [StaxWebhookView] }) data!: StaxWebhookView[];
}

export class V0WebhookList {
  @ApiProperty({ type: [V0WebhookView] }) data!: V0WebhookView[];
  @ApiProperty() total!: number;
  @ApiProperty() skip!: number;
  @ApiProperty() take!: number;
}

export class DeliveryAttemptView {
  @ApiProperty(iso()) at!: string;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'The receiver’s HTTP status; null when none came (timeout, refused connection, refused address).',
  })
  status_code!: number | null;
  @ApiProperty({ type: 'integer' }) duration_ms!: number;
  @ApiProperty({ type: 'string', nullable: true, example: 'HTTP 500' }) error!: string | null;
  @ApiProperty({
    ...iso(true),
    description: 'When this attempt scheduled the next one; null if it was the last.',
  })
  next_retry_at!: string | null;
}

export class DeliveryView {
  @ApiProperty({
    format: 'uuid',
    description:
      'The event id: the `webhook-id` header of every attempt (and, on v0, the event body’s `id`).',
  })
  id!: string;
  @ApiProperty({ example: 'customer.updated' }) event!: string;
  @ApiProperty({ format: 'uuid' }) customer_id!: string;
  @ApiProperty({
    enum: ['pending', 'held', 'delivered', 'failed'],
    description: '`held`: waiting for its webhook, which is disabled, to be enabled again.',
  })
  status!: string;
  @ApiProperty({ type: 'integer' }) attempt_count!: number;
  @ApiProperty({
    ...iso(true),
    description:
      'When it is tried next (ISO 8601, UTC): while its webhook is paused after a failed attempt, the end of ' +
      'the pause. Null once delivered, failed or held.',
  })
  next_attempt_at!: string | null;
  @ApiProperty(iso()) created_at!: string;
  @ApiProperty(iso(true)) completed_at!: string | null;
  @ApiProperty({ type: [DeliveryAttemptView], description: 'The latest 25 attempts, oldest first.' })
  attempts!: DeliveryAttemptView[];
}

export class StaxDeliveryPage extends LaravelPageView {
  @ApiProperty({ type: [DeliveryView] }) data!: DeliveryView[];
}

export class V0DeliveryList {
  @ApiProperty({ type: [DeliveryView] }) data!: DeliveryView[];
  @ApiProperty() total!: number;
  @ApiProperty() skip!: number;
  @ApiProperty() take!: number;
}
