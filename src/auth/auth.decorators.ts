import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'auth:public';

/** The route needs no API key (health checks, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
