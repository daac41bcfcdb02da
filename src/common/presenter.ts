import { SetMetadata } from '@nestjs/common';

/** A route's response for what its service returned: the body, and the ETag when there is one. */
export interface Presented {
  body: unknown;
  etag: string | null;
}

export type Presenter = (result: never) => Presented;

export const PRESENTER = 'app:presenter';

/**
 * How the routes of a controller (or one route) show the result of a write. The controller's
 * responses use it, and the idempotency layer uses the same function to store, inside the
 * write's transaction, the response a retry will replay.
 */
export const PresentWith = (presenter: Presenter) => SetMetadata(PRESENTER, presenter);
