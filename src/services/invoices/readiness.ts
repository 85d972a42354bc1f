import type { ConnectionEntity } from '../../entities';
import { AppError } from '../../errors';
import { assertReady } from '../connections/connection.service';

/** The hint on work that ended because QuickBooks refused the connection's authorization. */
export const RESET_AUTHORIZATION_HINT = 'reset your QuickBooks authorization and try again';
/** How long before the refresh token's end a connection asks to be reauthorized. */
export const AUTHORIZATION_WARNING_MS = 10 * 24 * 3_600_000;

/**
 * Whether invoices can be sent on this connection now; every problem at once. CONNECTION_NOT_READY when it is not
 * connected; CONFLICT naming the setting when "Enable Integrations" is off (nothing is ever sent then). One function, so
 * a connection-wide readiness check can take its place.
 */
export function assertInvoicingReady(connection: ConnectionEntity): void {
  if (connection.environment === 'DESKTOP') throw desktopRefusal(connection);
  // Not connected: CONNECTION_NOT_READY with what to do, as for posting.
  if (connection.status !== 'CONNECTED') assertReady(connection);
  const missing = connection.settings.enabled === false ? ['enabled'] : [];
  if (missing.length > 0) {
    throw new AppError(
      'CONFLICT',
      `Integrations are disabled for connection "${connection.name}": nothing is sent to QuickBooks`,
      {
        hint: 'turn the "enabled" setting on (updateConnectionSettings) to send to QuickBooks',
        extensions: { connectionId: connection.id, settings: missing },
      },
    );
  }
}

/**
 * QuickBooks Desktop connections (src/desktop) post orders as Invoices through the Web Connector, but the invoicing
 * services (sendInvoice, Auto Invoice, emailInvoices, recordPayments, exportToQuickBooks) speak QuickBooks Online only.
 */
function desktopRefusal(connection: ConnectionEntity): AppError {
  return new AppError(
    'NOT_SUPPORTED_ON_DESKTOP',
    `Connection "${connection.name}" is QuickBooks Desktop: invoices are not sent, e-mailed, paid or exported through the gateway there yet`,
    {
      hint: 'post the order instead (postOrders with the postOrdersAs setting INVOICE): it reaches QuickBooks Desktop as an Invoice at the next Web Connector run, and createInvoice afterwards adopts it; e-mail and record payments in QuickBooks Desktop',
      extensions: { connectionId: connection.id, environment: 'DESKTOP' },
    },
  );
}

/** True when `assertInvoicingReady` would pass. */
export function invoicingReady(connection: ConnectionEntity): boolean {
  return (
    connection.environment !== 'DESKTOP' &&
    connection.status === 'CONNECTED' &&
    connection.settings.enabled !== false
  );
}

/** When the connection's QuickBooks authorization ends (the rolling or the hard refresh-token expiry, whichever is first). */
export function authorizationEndsAt(
  connection: Pick<ConnectionEntity, 'refreshTokenExpiresAt' | 'refreshTokenHardExpiresAt'>,
): Date | null {
  const ends = [connection.refreshTokenExpiresAt, connection.refreshTokenHardExpiresAt].filter(
    (d): d is Date => d instanceof Date,
  );
  return ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
}

/** True when the authorization ends within 10 days: time to reauthorize. */
export function authorizationExpiringSoon(
  connection: Pick<ConnectionEntity, 'refreshTokenExpiresAt' | 'refreshTokenHardExpiresAt' | 'status'>,
  now = Date.now(),
): boolean {
  const ends = authorizationEndsAt(connection);
  return (
    connection.status === 'CONNECTED' && ends !== null && ends.getTime() - now < AUTHORIZATION_WARNING_MS
  );
}
