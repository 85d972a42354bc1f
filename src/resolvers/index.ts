import { ApiKeyResolver } from './api-key.resolver';
import { ViewerResolver } from './viewer.resolver';

/** Every resolver class of the API; `src/app.ts` registers one instance of each. */
export const RESOLVER_CLASSES = [ViewerResolver, ApiKeyResolver] as const;

export { ApiKeyResolver, ViewerResolver };
