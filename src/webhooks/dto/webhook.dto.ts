import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { ALL_EVENTS, STAX_EVENTS, V0_EVENTS } from '../webhook-events';
import { MAX_URL_LENGTH } from '../webhook-targets';

const URL_RULES =
  'An absolute https URL (http is accepted outside production, or with WEBHOOK_ALLOW_HTTP=true), at most ' +
  `${MAX_URL_LENGTH} characters. Its host must resolve to public addresses only: loopback, private, ` +
  'link-local (cloud metadata) and other reserved addresses are refused with 400 unless the service runs ' +
  'with WEBHOOK_ALLOW_PRIVATE_TARGETS=true. Redirects are not followed.';
export const STAX_EVENT_MESSAGE = `event must be one of: ${STAX_EVENTS.join(', ')}`;
export const V0_EVENT_MESSAGE = `each of events must be one of: ${[...V0_EVENTS, ALL_EVENTS].join(', ')}`;

/** Stax takes `target_url` and `event` as query parameters; a JSON body with them works too. */
export class StaxWebhookFields {
  @ApiPropertyOptional({
    description: `Where to POST events. ${URL_RULES}`,
    example: 'https://crm.example.com/hooks/stax',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  target_url?: string;

  @ApiPropertyOptional({ enum: STAX_EVENTS, description: 'The event to receive (one per webhook).' })
  @IsOptional()
  @IsIn(STAX_EVENTS, { message: STAX_EVENT_MESSAGE })
  event?: string;
}

export class StaxWebhookBody extends StaxWebhookFields {}
export class StaxWebhookQuery extends StaxWebhookFields {}

export class V0WebhookBody {
  @ApiProperty({
    description: `Where to POST events. ${URL_RULES}`,
    example: 'https://crm.example.com/hooks/customers',
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  @ApiPropertyOptional({
    type: [String],
    enum: [...V0_EVENTS, ALL_EVENTS],
    description:
      'The event types to receive; `*` (or leaving this out) for all of them, including future ones.',
    example: ['customer.created', 'customer.status_changed'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(V0_EVENTS.length + 1)
  @IsIn([...V0_EVENTS, ALL_EVENTS], { each: true, message: V0_EVENT_MESSAGE })
  events?: string[];
}

/** PATCH /api/v0/webhooks/{id}: what is given changes, what is left out stays. */
export class V0WebhookUpdateBody {
  @ApiPropertyOptional({
    description: `The new URL. ${URL_RULES}`,
    example: 'https://crm.example.com/hooks/customers-v2',
  })
  @ValidateIf((o: V0WebhookUpdateBody) => o.url !== undefined)
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: [...V0_EVENTS, ALL_EVENTS],
    description: 'The new subscription list, replacing the old one; `["*"]` for every event.',
    example: ['customer.created', 'customer.status_changed'],
  })
  @ValidateIf((o: V0WebhookUpdateBody) => o.events !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(V0_EVENTS.length + 1)
  @IsIn([...V0_EVENTS, ALL_EVENTS], { each: true, message: V0_EVENT_MESSAGE })
  events?: string[];
}
