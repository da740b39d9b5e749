import { SetMetadata } from '@nestjs/common';
import type { Scope } from '../config/config.types.js';

export const PUBLIC_KEY = 'devicegate:public';
export const SCOPE_KEY = 'devicegate:scope';

/** An operational route that needs no key (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The scope a key needs for this operation (API.md §2.2). */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
