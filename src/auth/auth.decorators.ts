import { SetMetadata } from '@nestjs/common';
import type { Scope } from './principal';

export const PUBLIC_ROUTE = 'auth:public';
export const REQUIRED_SCOPES = 'auth:scopes';

/** The route needs no API key (health checks, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The scopes a key must carry for this route. Without it: customers:read for GET, customers:write otherwise. */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(REQUIRED_SCOPES, scopes);
