import DataLoader from 'dataloader';
import type { ConnectionEntity } from './entities';
import type { ConnectionService } from './services/connection.service';

/**
 * Per-operation DataLoaders: nested fields of a page load in one statement per field, whatever the page size.
 * Created for each request (and each subscription event), never shared, so no tenant can see another's cache.
 */
export interface Loaders {
  connection: DataLoader<string, ConnectionEntity | null>;
}

export interface LoaderSources {
  connections: ConnectionService;
}

export function createLoaders(sources: LoaderSources, tenantId: string | undefined): Loaders {
  return {
    connection: new DataLoader(async (ids) => {
      if (!tenantId) return ids.map(() => null);
      const rows = await sources.connections.getMany(tenantId, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
