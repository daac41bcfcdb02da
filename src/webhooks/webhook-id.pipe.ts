import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { INVALID_DELIVERY_ID, INVALID_WEBHOOK_ID } from './webhook-messages';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidPipe(message: string) {
  @Injectable()
  class ParseUuid implements PipeTransform<string, string> {
    transform(value: string): string {
      if (typeof value !== 'string' || !UUID.test(value)) throw new BadRequestException([message]);
      return value.toLowerCase();
    }
  }
  return ParseUuid;
}

/** A webhook id in the path must be a UUID: anything else is a 400, never a lookup. */
export const ParseWebhookIdPipe = uuidPipe(INVALID_WEBHOOK_ID);
/** A delivery (event) id in the path must be a UUID. */
export const ParseDeliveryIdPipe = uuidPipe(INVALID_DELIVERY_ID);
