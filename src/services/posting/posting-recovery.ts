import { createHash } from 'node:crypto';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksEntity } from '../../quickbooks';
import type { OrderEntity } from '../../entities';
import { isRefusal, quote } from './exactly-once';
import type { PreparedOrder, RunContext } from './posting-context';
import { orderMarkerPrefix, text, toPosted } from './posting-mapper';
import type { PostingRecorder } from './posting-recorder';

/**
 * Orders whose outcome is unknown (sent, no answer recorded) and duplicate document numbers: looked up in QuickBooks
 * by DocNumber and the order's marker, adopted when found, so nothing is ever created twice.
 */
export class PostingRecovery {
  constructor(
    private readonly recorder: PostingRecorder,
    private readonly logger: Logger,
  ) {}

  /**
   * Orders that were sent without a recorded outcome: finds their transactions in QuickBooks by DocNumber and the
   * marker of this posting, and records the ones found as POSTED. The rest are safe to send again.
   */
  async recover(
    context: RunContext,
    entries: Array<{ order: OrderEntity; seq: number }>,
  ): Promise<Set<string>> {
    const adopted = new Set<string>();
    for (let i = 0; i < entries.length; i += 50) {
      const group = entries.slice(i, i + 50);
      const found = await this.findPosted(
        context,
        group.map((g) => g.order),
      );
      const results = group.flatMap(({ order, seq }) => {
        const transaction = found.get(order.id);
        return transaction ? [{ order, seq, posted: toPosted(context.entity, transaction) }] : [];
      });
      for (const result of results) adopted.add(result.order.id);
      if (results.length) {
        this.logger.info(
          { batchId: context.batch.id, adopted: results.length },
          'recovered orders already in QuickBooks',
        );
      }
      await this.recorder.recordResults(context, results, 'MATCH');
    }
    return adopted;
  }

  /** This posting's transactions in QuickBooks, by order id (DocNumber IN (...) and the marker). */
  async findPosted(context: RunContext, orders: OrderEntity[]): Promise<Map<string, QuickBooksEntity>> {
    const result = new Map<string, QuickBooksEntity>();
    if (orders.length === 0) return result;
    const numbers = [...new Set(orders.map((o) => o.orderNumber))];
    const found = await context.client.query(
      `SELECT * FROM ${context.entity} WHERE DocNumber IN (${numbers.map(quote).join(', ')}) MAXRESULTS 1000`,
    );
    for (const order of orders) {
      // Any generation: a live transaction carrying this order's marker is this order's (undo deletes or voids, and
      // QuickBooks replaces a voided transaction's note), whichever posting sent it.
      const marker = orderMarkerPrefix(order.id);
      const match = found.items.find(
        (t) => t.DocNumber === order.orderNumber && text(t.PrivateNote).includes(marker),
      );
      if (match) result.set(order.id, match);
    }
    return result;
  }

  /**
   * 6140, duplicate document number. If it is this posting's own transaction (a replay we could not see), adopt it.
   * If the number is held only by earlier, undone postings of the same order, post again allowing the duplicate.
   * Otherwise someone else's transaction has this number: the order fails with what to do.
   */
  async resolveDuplicates(context: RunContext, duplicates: PreparedOrder[]): Promise<void> {
    if (duplicates.length === 0) return;
    const numbers = [...new Set(duplicates.map((d) => d.order.orderNumber))];
    const existing = await context.client.query(
      `SELECT * FROM ${context.entity} WHERE DocNumber IN (${numbers.map(quote).join(', ')}) MAXRESULTS 1000`,
    );
    for (const prepared of duplicates) {
      const { order } = prepared;
      const same = existing.items.filter((t) => t.DocNumber === order.orderNumber);
      // A live transaction of this order, from any posting: adopt it rather than create another.
      const ours = same.find((t) => text(t.PrivateNote).includes(orderMarkerPrefix(order.id)));
      if (ours) {
        await this.recorder.recordResults(
          context,
          [{ order, seq: prepared.seq, posted: toPosted(context.entity, ours) }],
          'MATCH',
        );
        continue;
      }
      // Only voided transactions hold the number (an undo by VOID keeps the number in QuickBooks; QuickBooks replaces
      // a voided transaction's note with "Voided"): the number may be used again. Anything else is someone else's.
      const onlyVoided = same.every((t) => /^Voided\b/.test(text(t.PrivateNote)));
      if (!onlyVoided) {
        await this.recorder.recordFailures(context, [
          {
            ...prepared,
            error: new QuickBooksError({
              httpStatus: 400,
              quickbooksCode: '6140',
              quickbooksMessage: `Duplicate Document Number Error: another ${context.entity} in QuickBooks already uses number ${order.orderNumber}`,
              category: 'FIX_DATA',
              hint: 'change the order number, or remove or renumber the other transaction in QuickBooks, then post again',
            }),
          },
        ]);
        continue;
      }
      const requestId = createHash('sha256')
        .update(`dup|${order.id}|${order.postingGeneration}`)
        .digest('hex')
        .slice(0, 32);
      try {
        const created = await context.client.create(context.entity, prepared.body, {
          requestId,
          params: { include: 'allowduplicatedocnum' },
        });
        await this.recorder.recordResults(context, [
          { order, seq: prepared.seq, posted: toPosted(context.entity, created), prepared, requestId },
        ]);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await this.recorder.recordFailures(context, [{ ...prepared, error, requestId }]);
      }
    }
  }
}
