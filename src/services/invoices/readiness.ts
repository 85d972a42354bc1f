import type { ConnectionEntity } from '../../entities';
import { AppError } from '../../errors';
import { assertReady } from '../connections/readiness';

/** The hint on work that ended because QuickBooks refused the connection's authorization. */
export const RESET_AUTHORIZATION_HINT = 'reset your QuickBooks authorization and try again';
/** How long before the refresh token's end a connection asks to be reauthorized. */
export const AUTHORIZATION_WARNING_MS = 10 * 24 * 3_600_000;

/**
 * Whether invoices can be sent on this connection now; every problem at once. CONNECTION_NOT_READY when it is not
 * connected; CONFLICT naming the setting when "Enable Integrations" is off (nothing is ever sent then). One function, so
 * a connection-wide readiness check can take its place.
 */
export function assertInvoicingReady(
  connection: ConnectionEntity,
  /** Sending invoices on a DESKTOP connection goes through the Web Connector when it is wired (src/desktop). */
  options: { desktopSending?: boolean } = {},
): void {
  if (connection.environment === 'DESKTOP' && !options.desktopSending) throw desktopRefusal(connection);
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
 * QuickBooks Desktop connections (src/desktop) send invoices through the Web Connector (SEND_INVOICES), but e-mail,
 * payments and the export speak QuickBooks Online only.
 */
function desktopRefusal(connection: ConnectionEntity): AppError {
  return new AppError(
    'NOT_SUPPORTED_ON_DESKTOP',
    `Connection "${connection.name}" is QuickBooks Desktop: invoices are not e-mailed, paid or exported through the gateway there yet`,
    {
      hint: 'send the invoices with sendInvoice (or postOrders); e-mail them and record their payments in QuickBooks Desktop',
      extensions: { connectionId: connection.id, environment: 'DESKTOP' },
    },
  );
}

/** True when `assertInvoicingReady` would pass. */
export function invoicingReady(
  connection: ConnectionEntity,
  options: { desktopSending?: boolean } = {},
): boolean {
  return (
    (connection.environment !== 'DESKTOP' || Boolean(options.desktopSending)) &&
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
