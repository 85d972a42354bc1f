import { ApiKeyEntity } from './api-key.entity';
import { TenantEntity } from './tenant.entity';

export { ApiKeyEntity, API_SCOPES, type ApiScope } from './api-key.entity';
export { TenantEntity } from './tenant.entity';

/** Every entity the DataSource knows; migrations must match them (a test checks). */
export const ENTITIES = [TenantEntity, ApiKeyEntity];
