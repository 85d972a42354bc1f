import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import { idKind } from '../ids';
import { Node } from '../schema/types/common.types';
import {
  toConnectionType,
  toInvoiceType,
  toOrderType,
  toReferenceEntityType,
  toSyncBatchType,
} from '../schema/mappers';
import { RequireScope } from '../schema/scopes';
import type { AppError } from '../errors';
import type { BatchService } from '../services/batch.service';
import type { ConnectionService } from '../services/connections/connection.service';
import type { InvoiceService } from '../services/invoices/invoice.service';
import type { OrderService } from '../services/orders/order.service';
import type { ReferenceService } from '../services/reference.service';
import type { OutboundSync } from '../services/sync/outbound.service';
import type { PendingService } from '../services/sync/pending.service';
import { toPartnerReferenceEntity, toPendingEntityType } from './sync.resolver';

@Resolver()
export class NodeResolver {
  constructor(
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly references: ReferenceService,
    private readonly orders: OrderService,
    private readonly invoices: InvoiceService,
    private readonly sync?: { pending: PendingService; outbound: OutboundSync },
  ) {}

  @Query(() => Node, {
    nullable: true,
    description: 'Any object by its id; null when it does not exist for this tenant.',
  })
  @RequireScope('READ')
  async node(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<Node | null> {
    const { tenantId } = principalOf(context);
    try {
      switch (idKind(id)) {
        case 'connection':
          return toConnectionType(await this.connections.get(tenantId, id));
        case 'batch':
          return toSyncBatchType(await this.batches.get(tenantId, id));
        case 'referenceEntity':
          return toReferenceEntityType(await this.references.get(tenantId, id));
        case 'order':
          return toOrderType(await this.orders.get(tenantId, id));
        case 'invoice':
          return toInvoiceType(await this.invoices.get(tenantId, id));
        case 'pendingEntity':
          return this.sync ? toPendingEntityType(await this.sync.pending.get(tenantId, id)) : null;
        case 'partnerRecord':
          return this.sync
            ? toPartnerReferenceEntity(await this.sync.outbound.getRecord(tenantId, id))
            : null;
        default:
          return null;
      }
    } catch (error) {
      if ((error as AppError).code === 'NOT_FOUND') return null;
      throw error;
    }
  }
}
