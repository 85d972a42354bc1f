import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import { SyncBatch } from '../schema/types/batch.types';
import { Connection } from '../schema/types/connection.types';
import {
  ExportPreview,
  Invoice,
  InvoiceConnection,
  InvoiceFilter,
  InvoiceInput,
  PaymentInput,
} from '../schema/types/invoice.types';
import { toInvoiceType, toSyncBatchType } from '../schema/mappers';
import { toConnection } from '../schema/relay';
import { DecimalScalar } from '../schema/scalars';
import { RequireScope } from '../schema/scopes';
import type { Invoicing } from '../services/invoices';
import { authorizationExpiringSoon } from '../services/invoices/readiness';

@Resolver(() => Invoice)
export class InvoiceResolver {
  constructor(private readonly invoicing: Invoicing) {}

  @Query(() => InvoiceConnection, {
    description: 'Invoices, newest first, with their push status and error badge.',
  })
  @RequireScope('READ')
  async invoices(
    @Arg('filter', () => InvoiceFilter, { nullable: true }) filter: InvoiceFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: GatewayContext,
  ) {
    const page = await this.invoicing.invoices.list(principalOf(context).tenantId, filter ?? {}, {
      first,
      after,
    });
    return toConnection(page, toInvoiceType);
  }

  @Query(() => Invoice, { nullable: true })
  @RequireScope('READ')
  async invoice(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<Invoice> {
    return toInvoiceType(await this.invoicing.invoices.get(principalOf(context).tenantId, id));
  }

  @Mutation(() => Invoice, {
    description:
      "Raises an order's invoice (one per order). With Auto Invoice on it is queued and pushed to QuickBooks at once " +
      '(QUEUED, then SENT); otherwise it is NOT_SENT until sendInvoice. An order posted as an Invoice adopts it (SENT).',
  })
  @RequireScope('WRITE')
  async createInvoice(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('input', () => InvoiceInput, { nullable: true }) input: InvoiceInput | null,
    @Ctx() context: GatewayContext,
  ): Promise<Invoice> {
    return toInvoiceType(
      await this.invoicing.invoices.create(principalOf(context).tenantId, orderId, input ?? {}),
    );
  }

  @Mutation(() => SyncBatch, {
    description:
      'Sends NOT_SENT or FAILED invoices of one connection to QuickBooks. Returns the SEND_INVOICES batch at once; ' +
      'follow it with batchProgress. Each invoice lands in QuickBooks exactly once.',
  })
  @RequireScope('WRITE')
  async sendInvoice(
    @Arg('invoiceIds', () => [ID]) invoiceIds: string[],
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(await this.invoicing.invoices.send(principalOf(context).tenantId, invoiceIds));
  }

  @Mutation(() => SyncBatch, {
    description:
      'QuickBooks e-mails each sent invoice to its customer (or to sendTo): an EMAIL_INVOICES batch.',
  })
  @RequireScope('WRITE')
  async emailInvoices(
    @Arg('invoiceIds', () => [ID]) invoiceIds: string[],
    @Arg('sendTo', () => String, { nullable: true, description: "Instead of the invoice's BillEmail." })
    sendTo: string | null,
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(
      await this.invoicing.emails.email(principalOf(context).tenantId, invoiceIds, sendTo),
    );
  }

  @Mutation(() => SyncBatch, {
    description:
      'Payments against sent invoices, created in QuickBooks exactly once (a RECORD_PAYMENTS batch); payments of one ' +
      'customer with the same date, method and reference become one QuickBooks Payment. Never more than the open balance.',
  })
  @RequireScope('WRITE')
  async recordPayments(
    @Arg('payments', () => [PaymentInput]) payments: PaymentInput[],
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(await this.invoicing.payments.record(principalOf(context).tenantId, payments));
  }

  @Mutation(() => SyncBatch, {
    description:
      'Rootstock\'s "Sales Invoice Export": one EXPORT batch that matches or adds the products, then the customers, ' +
      'then sends the invoices of exportPreview. The batch with its items and syncLogs is the process log.',
  })
  @RequireScope('WRITE')
  async exportToQuickBooks(
    @Arg('connectionId', () => ID) connectionId: string,
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(await this.invoicing.exports.start(principalOf(context).tenantId, connectionId));
  }

  @FieldResolver(() => DecimalScalar, {
    nullable: true,
    description:
      'The open balance in QuickBooks (0 when paid); null until sent. Read from QuickBooks when older than a minute.',
  })
  async balance(@Root() invoice: Invoice, @Ctx() context: GatewayContext): Promise<string | null> {
    return context.loaders.invoiceBalance.load(invoice.id);
  }
}

@Resolver(() => Connection)
export class ConnectionInvoicingResolver {
  constructor(private readonly invoicing: Invoicing) {}

  @FieldResolver(() => ExportPreview, { description: 'What exportToQuickBooks would export now.' })
  async exportPreview(
    @Root() connection: Connection,
    @Ctx() context: GatewayContext,
  ): Promise<ExportPreview> {
    return this.invoicing.exports.preview(principalOf(context).tenantId, connection.id);
  }

  @FieldResolver(() => Boolean, {
    description:
      'The QuickBooks authorization (refresh token) ends within 10 days: reconnect before then. Also published as an ' +
      'AUTHORIZATION_EXPIRING connection event when work starts.',
  })
  authorizationExpiringSoon(@Root() connection: Connection): boolean {
    return authorizationExpiringSoon(connection);
  }
}
