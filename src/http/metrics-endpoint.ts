/**
 * `/metrics` (Prometheus). It tells much about the traffic, so it is not for everyone: with `METRICS_TOKEN` it needs
 * `Authorization: Bearer <token>`; with `METRICS_PORT` it is served only on that listener (which an operator keeps
 * internal); with neither it is open only in local mode, and otherwise answers 403 saying what to set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import { bearerKey } from '../context';
import { sendError } from './errors';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function metricsHandler(metrics: Metrics, options: { token?: string; open: boolean }): RequestHandler {
  const expected = options.token ? digest(options.token) : undefined;
  return async (req, res) => {
    if (expected) {
      const given = bearerKey(req.headers.authorization);
      if (!given || !timingSafeEqual(digest(given), expected)) {
        res.setHeader('www-authenticate', 'Bearer');
        sendError(res, 401, 'UNAUTHENTICATED', 'The metrics need "Authorization: Bearer <METRICS_TOKEN>"');
        return;
      }
    } else if (!options.open) {
      sendError(res, 403, 'FORBIDDEN', 'The metrics are not open outside local mode', {
        hint: 'set METRICS_TOKEN (scrape with that bearer token) or METRICS_PORT (an internal listener)',
      });
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
