import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id must be a UUID (any version): anything else is a 400, never a lookup. */
@Injectable()
export class ParseCustomerIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new BadRequestException(['Customer ID must be a valid UUID']);
    }
    return value.toLowerCase();
  }
}
