import { createHash, randomUUID } from 'node:crypto';
import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  DesktopSessionEntity,
  SyncBatchEntity,
  type DesktopRequestEntity,
  type StoredSyncError,
} from '../entities';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { BatchService } from '../services/batch.service';
import type { ConnectionEvents } from '../services/connection-events';
import type { ReferenceService } from '../services/reference.service';
import { parseResponses, requestMessage, text, type QbxmlResponse } from './qbxml';
import type { DesktopAnswer, DesktopProducer, DesktopQueue } from './request-queue';
import type { WebConnectorService } from './web-connector.service';

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
/** A message QuickBooks could not run at all is sent again this many times before its requests fail. */
const UNREADABLE_ATTEMPTS = 3;
/** Runs older than this are over whatever they say (the Web Connector gives up on a run long before). */
const SESSION_TTL_MS = 60 * 60_000;

export interface QbwcOptions {
  /** Requests per sendRequestXML: enough that one run moves many orders, few enough for QuickBooks to answer briskly. */
  requestsPerMessage: number;
}

/**
 * The Web Connector's side of the gateway: the logic behind each SOAP method of `/qbwc`. Work waits in the
 * connection's queue until the Web Connector runs; each sendRequestXML hands out the next requests in one message
 * set (after looking up whatever an earlier run may have done without telling us), and each receiveResponseXML routes
 * the answers to the producers that queued the requests and reports percent done.
 */
export class QbwcService {
  private readonly sessions: Repository<DesktopSessionEntity>;
  private readonly connections: Repository<ConnectionEntity>;
  private readonly producers = new Map<string, DesktopProducer>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly webConnectors: WebConnectorService,
    private readonly queue: DesktopQueue,
    private readonly batches: BatchService,
    private readonly references: ReferenceService,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
    private readonly options: QbwcOptions,
  ) {
    this.sessions = dataSource.getRepository(DesktopSessionEntity);
    this.connections = dataSource.getRepository(ConnectionEntity);
  }

  /** Adds a producer of requests (by the name it stores on its requests, usually a batch kind). */
  register(producer: DesktopProducer): void {
    this.producers.set(producer.name, producer);
  }

  producer(name: string): DesktopProducer | undefined {
    return this.producers.get(name);
  }

  serverVersion(): string {
    return 'QuickBooks Gateway';
  }

  /** Every Web Connector version that speaks this interface is accepted. */
  clientVersion(_version: string): string {
    return '';
  }

  /**
   * `[ticket, '']` to go on with the open company file, `['', 'none']` when nothing waits, `['', 'nvu']` for unknown
   * credentials or a disconnected connection. The first successful run completes connecting and imports the lists.
   */
  async authenticate(userName: string, password: string): Promise<string[]> {
    const row = await this.webConnectors.verify(userName, password);
    if (!row) return ['', 'nvu'];
    const connection = await this.connections.findOneBy({ id: row.connectionId });
    if (!connection || connection.status === 'DISCONNECTED') return ['', 'nvu'];
    if (connection.status !== 'CONNECTED') await this.completeConnecting(connection);
    if (!connection.settings.enabled) {
      await this.webConnectors.recordPoll(connection.id, {});
      return ['', 'none'];
    }
    await this.planOpenBatches(connection);
    const waiting =
      (await this.queue.pendingCount(connection.id)) + (await this.queue.unanswered(connection.id)).length;
    if (waiting === 0) {
      await this.webConnectors.recordPoll(connection.id, {});
      return ['', 'none'];
    }
    const ticket = randomUUID();
    await this.sessions.insert({
      id: newId('desktopSession'),
      ticketHash: sha256(ticket),
      connectionId: connection.id,
      answered: 0,
      lastError: null,
      closedAt: null,
    });
    return [ticket, ''];
  }

  /** The next message set of the run ('' with getLastError's text when the run cannot go on). */
  async sendRequestXML(
    ticket: string,
    hcpResponse: string,
    companyFileName: string,
    _country: string,
    majorVersion: number,
  ): Promise<string> {
    const found = await this.open(ticket);
    if (!found) return '';
    const { session, connection } = found;
    if (hcpResponse) {
      if (majorVersion < 13) {
        await this.fail(
          session,
          `QuickBooks speaks qbXML ${majorVersion}; the gateway needs 13.0 or later (QuickBooks 2015 and later)`,
        );
        return '';
      }
      await this.noteCompany(connection, hcpResponse, companyFileName);
    }
    try {
      const lost = await this.queue.unanswered(connection.id);
      if (lost.length) {
        this.logger.info(
          { connectionId: connection.id, requests: lost.length },
          'requests of an earlier exchange were never answered; looking them up',
        );
        for (const [producer, rows] of this.byProducer(lost)) await producer.recover(connection, rows);
      }
      const claimed = await this.queue.claim(
        connection.id,
        session.id,
        this.options.requestsPerMessage,
        async (manager, rows) => {
          for (const [producer, group] of this.byProducer(rows)) await producer.beforeSend?.(manager, group);
        },
      );
      await this.startBatches(claimed);
      if (claimed.length === 0) {
        // Nothing left (another run finished it): a harmless read keeps the run well-formed; its answer ends it.
        return requestMessage([{ id: 'nothing-to-do', type: 'CompanyQuery', content: {} }]);
      }
      return requestMessage(
        claimed.map((r) => ({
          id: r.id,
          type: r.type,
          attributes: r.body.attributes,
          content: r.body.content,
        })),
      );
    } catch (error) {
      this.logger.error({ err: error, connectionId: connection.id }, 'sendRequestXML failed');
      await this.fail(
        session,
        'The gateway could not prepare the next requests; they will be sent on the next run',
      );
      return '';
    }
  }

  /** Handles a message set's answers; returns percent done (100 ends the run) or -1 (then getLastError). */
  async receiveResponseXML(
    ticket: string,
    response: string,
    hresult: string,
    message: string,
  ): Promise<number> {
    const found = await this.open(ticket);
    if (!found) return -1;
    const { session, connection } = found;
    try {
      if (hresult) return await this.unreadable(session, connection, hresult, message);
      let responses: QbxmlResponse[];
      try {
        responses = parseResponses(response);
      } catch {
        await this.fail(
          session,
          'The answer from QuickBooks was not qbXML; the requests will be looked up on the next run',
        );
        return -1;
      }
      const rows = new Map(
        (
          await this.queue.byIds(
            connection.id,
            responses.map((r) => r.requestId),
          )
        )
          .filter((r) => r.status === 'SENT')
          .map((r) => [r.id, r]),
      );
      const answers: DesktopAnswer[] = responses.flatMap((r) => {
        const request = rows.get(r.requestId);
        return request ? [{ request, response: r }] : [];
      });
      for (const [producer, group] of this.byProducerOf(answers)) await producer.handle(connection, group);
      const answered = session.answered + answers.length;
      await this.sessions.update({ id: session.id }, { answered });
      await this.webConnectors.recordPoll(connection.id, { lastError: null });
      const pending = await this.queue.pendingCount(connection.id);
      if (pending === 0) return 100;
      return Math.min(99, Math.max(1, Math.floor((100 * answered) / (answered + pending))));
    } catch (error) {
      this.logger.error({ err: error, connectionId: connection.id }, 'receiveResponseXML failed');
      await this.fail(
        session,
        'The gateway could not record the answers; they will be looked up on the next run',
      );
      return -1;
    }
  }

  /** QuickBooks could not be opened: recorded on the connection (FROM_QUICKBOOKS); the run ends. */
  async connectionError(ticket: string, hresult: string, message: string): Promise<string> {
    const found = await this.open(ticket);
    if (found) {
      const error: StoredSyncError = {
        code: hresult || null,
        message: message || 'The Web Connector could not open QuickBooks',
        detail: null,
        hint: "open QuickBooks with the company file on the Web Connector's computer (or let the Web Connector start it), then run the Web Connector again",
        direction: 'FROM_QUICKBOOKS',
        at: new Date().toISOString(),
      };
      await this.fail(found.session, error.message);
      await this.webConnectors.recordPoll(found.connection.id, { lastError: error });
      await this.connections.update({ id: found.connection.id }, { lastError: error });
    }
    return 'done';
  }

  async getLastError(ticket: string): Promise<string> {
    const session = await this.sessions.findOneBy({ ticketHash: sha256(ticket) });
    return session?.lastError ?? (session ? '' : 'Unknown or expired ticket: run the Web Connector again');
  }

  async closeConnection(ticket: string): Promise<string> {
    const session = await this.sessions.findOneBy({ ticketHash: sha256(ticket) });
    if (!session) return 'OK';
    await this.sessions.update({ id: session.id }, { closedAt: new Date() });
    return session.lastError
      ? `Finished with an error: ${session.lastError}`
      : `OK: ${session.answered} requests`;
  }

  /** Plans batches of this connection that wait for their first requests (idempotent; the job normally did it). */
  async planOpenBatches(connection: ConnectionEntity): Promise<void> {
    const open = await this.dataSource
      .getRepository(SyncBatchEntity)
      .findBy({ connectionId: connection.id, status: In(['QUEUED', 'RUNNING']) });
    for (const batch of open) await this.producers.get(batch.kind)?.plan?.(batch, connection);
  }

  private async completeConnecting(connection: ConnectionEntity): Promise<void> {
    const was = connection.status;
    connection.status = 'CONNECTED';
    connection.connectedAt ??= new Date();
    connection.disconnectedAt = null;
    connection.lastError = null;
    await this.connections.update({ id: connection.id }, {
      status: 'CONNECTED',
      connectedAt: connection.connectedAt,
      disconnectedAt: null,
      lastError: null,
    } as never);
    this.events.publish(connection.id, 'STATUS_CHANGED', { message: `${was} → CONNECTED` });
    if (!connection.lastReferenceSyncAt) await this.references.startImport(connection);
  }

  private async noteCompany(
    connection: ConnectionEntity,
    hcpResponse: string,
    companyFile: string,
  ): Promise<void> {
    let companyName: string | undefined;
    try {
      const company = parseResponses(hcpResponse).find((r) => r.type === 'CompanyQuery');
      companyName = text(company?.rets[0]?.value.CompanyName) || undefined;
    } catch {
      // The host/company answer is informational; a run goes on without it.
    }
    await this.webConnectors.recordPoll(connection.id, { companyFile: companyFile || null });
    if (companyName && companyName !== connection.companyName) {
      await this.connections.update({ id: connection.id }, { companyName });
      connection.companyName = companyName;
    }
  }

  /** The whole message failed to run in QuickBooks (it ran none of it): send it again, or fail after a few tries. */
  private async unreadable(
    session: DesktopSessionEntity,
    connection: ConnectionEntity,
    hresult: string,
    message: string,
  ): Promise<number> {
    const rows = await this.queue.sentIn(connection.id, session.id);
    const retry = rows.filter((r) => r.attempts < UNREADABLE_ATTEMPTS);
    const give = rows.filter((r) => r.attempts >= UNREADABLE_ATTEMPTS);
    await this.dataSource.transaction(async (manager: EntityManager) => {
      for (const row of retry) await this.queue.settle(manager, row, 'PENDING');
    });
    const failure = (request: DesktopRequestEntity): DesktopAnswer => ({
      request,
      response: {
        requestId: request.id,
        type: request.type,
        statusCode: 1000,
        statusSeverity: 'Error',
        statusMessage: `QuickBooks could not run the request (${hresult}): ${message}`,
        rets: [],
        body: {},
      },
    });
    for (const [producer, group] of this.byProducerOf(give.map(failure)))
      await producer.handle(connection, group);
    await this.fail(session, `QuickBooks could not run the requests (${hresult}): ${message}`);
    return -1;
  }

  private async startBatches(requests: DesktopRequestEntity[]): Promise<void> {
    const ids = [...new Set(requests.map((r) => r.batchId).filter((id): id is string => Boolean(id)))];
    for (const id of ids) {
      const batch = await this.batches.findById(id);
      if (batch?.status === 'QUEUED') await this.batches.start(id);
    }
  }

  private async open(
    ticket: string,
  ): Promise<{ session: DesktopSessionEntity; connection: ConnectionEntity } | undefined> {
    const session = await this.sessions.findOneBy({ ticketHash: sha256(ticket || '-') });
    if (!session || session.closedAt || Date.now() - session.createdAt.getTime() > SESSION_TTL_MS)
      return undefined;
    const connection = await this.connections.findOneBy({ id: session.connectionId });
    if (!connection || connection.status !== 'CONNECTED') return undefined;
    return { session, connection };
  }

  private async fail(session: DesktopSessionEntity, message: string): Promise<void> {
    session.lastError = message;
    await this.sessions.update({ id: session.id }, { lastError: message });
  }

  private byProducer(rows: DesktopRequestEntity[]): Array<[DesktopProducer, DesktopRequestEntity[]]> {
    const groups = new Map<string, DesktopRequestEntity[]>();
    for (const row of rows) groups.set(row.producer, [...(groups.get(row.producer) ?? []), row]);
    return [...groups].flatMap(([name, group]) => {
      const producer = this.producers.get(name);
      if (!producer) this.logger.error({ producer: name }, 'queued Desktop requests have no producer');
      return producer ? [[producer, group] as [DesktopProducer, DesktopRequestEntity[]]] : [];
    });
  }

  private byProducerOf(answers: DesktopAnswer[]): Array<[DesktopProducer, DesktopAnswer[]]> {
    const byRow = new Map(answers.map((a) => [a.request.id, a]));
    return this.byProducer(answers.map((a) => a.request)).map(([producer, rows]) => [
      producer,
      rows.map((r) => byRow.get(r.id)!),
    ]);
  }
}
