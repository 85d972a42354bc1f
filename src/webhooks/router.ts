/**
 * `POST /webhooks/quickbooks`: QuickBooks' change notifications. The raw body (≤ 5 MB) is checked against
 * `intuit-signature` before anything is parsed; a bad or missing signature is 401 and nothing is stored. Everything
 * signed is answered 200 once stored (QuickBooks re-sends a whole delivery that got a 4xx or 5xx, so even an
 * unreadable one or one for a company nobody connected is acknowledged, stored as REJECTED or IGNORED, and logged).
 */
import express, { type Request, type Response, type Router } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger';
import type { WebhookIntake } from './intake';
import { parseQuickBooksPayload } from './payload';
import { verifyIntuitSignature } from './signature';

export const WEBHOOK_PATH = '/webhooks/quickbooks';
export const WEBHOOK_BODY_LIMIT = '5mb';

export interface WebhookRouterOptions {
  intake: WebhookIntake;
  /** The current verifier token first, then any being rotated out. */
  verifierTokens: readonly string[];
  logger: Logger;
  registry: Registry;
}

export function quickbooksWebhookRouter(options: WebhookRouterOptions): Router {
  const { intake, verifierTokens, logger, registry } = options;
  const deliveries = new Counter({
    name: 'quickbooks_webhook_deliveries_total',
    help: 'QuickBooks webhook deliveries by outcome (unauthorized = bad or missing intuit-signature)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'quickbooks_webhook_events_total',
    help: 'QuickBooks change events received, by whether they were new',
    labelNames: ['stored'] as const,
    registers: [registry],
  });
  const router = express.Router();
  router.post(
    WEBHOOK_PATH,
    // Any content type: the signature decides, and QuickBooks sends application/json or application/cloudevents+json.
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!verifyIntuitSignature(body, req.headers['intuit-signature'], verifierTokens)) {
        deliveries.inc({ outcome: 'unauthorized' });
        logger.warn(
          { bytes: body.length, signed: req.headers['intuit-signature'] !== undefined },
          'QuickBooks webhook refused: bad or missing intuit-signature',
        );
        res.status(401).json({ error: 'invalid signature' });
        return;
      }
      const parsed = parseQuickBooksPayload(body);
      const tid = req.headers['intuit-t-id'];
      const result = await intake.store(body, parsed, { intuitTid: typeof tid === 'string' ? tid : null });
      deliveries.inc({ outcome: result.status.toLowerCase() });
      events.inc({ stored: 'new' }, result.storedCount);
      if (result.eventCount > result.storedCount)
        events.inc({ stored: 'not_new' }, result.eventCount - result.storedCount);
      if (result.status === 'REJECTED' || result.status === 'IGNORED' || result.reason) {
        logger.warn(
          { deliveryId: result.deliveryId, status: result.status, reason: result.reason },
          'QuickBooks webhook delivery not (fully) used',
        );
      }
      res.status(200).json({ received: result.storedCount });
    },
  );
  return router;
}
