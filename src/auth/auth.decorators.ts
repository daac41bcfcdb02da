import { SetMetadata } from '@nestjs/common';
import type { Scope } from './principal';

export const PUBLIC_ROUTE = 'auth:public';

/** The route needs no API key (health checks, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export const REQUIRED_SCOPE = 'auth:scope';

/** The scope a route needs, instead of customers:read (GET) or customers:write (any other method). */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);
