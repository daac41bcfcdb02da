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

export const STORED_ANSWER = 'app:stored-answer';

/**
 * What the idempotency layer stores of a route's answer, when it must not keep all of it: the
 * webhook routes that show a signing secret once store the answer without it, so a replay shows
 * `secret: null` and the secret exists only encrypted.
 */
export const StoreAnswerAs = (redact: (body: unknown) => unknown) => SetMetadata(STORED_ANSWER, redact);
