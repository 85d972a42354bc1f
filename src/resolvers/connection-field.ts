import type { GatewayContext } from '../context';
import type { ConnectionEntity } from '../entities';
import { notFound } from '../errors';
import type { Connection } from '../schema/types/connection.types';
import { toConnectionType } from '../schema/mappers';

/** The API shape of each loaded row, made once: a page of 100 orders on one connection maps it once, not 100 times. */
const mapped = new WeakMap<ConnectionEntity, Connection>();

/** The `connection` field of orders, invoices, batches and logs: through the request's loader, mapped once a row. */
export async function connectionField(context: GatewayContext, connectionId: string): Promise<Connection> {
  const row = await context.loaders.connection.load(connectionId);
  if (!row) throw notFound('Connection', connectionId);
  let shape = mapped.get(row);
  if (!shape) {
    shape = toConnectionType(row);
    mapped.set(row, shape);
  }
  return shape;
}
