import express, { type Request, type Response, type Router } from 'express';
import * as soap from 'soap';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { Principal } from '../services/api-key.service';
import type { QbwcService } from './qbwc.service';
import type { WebConnectorService } from './web-connector.service';
import { qbwcWsdl } from './wsdl';

/** Web Connector messages carry whole qbXML documents; hundreds of orders fit well within this. */
const MAX_SOAP_BYTES = '50mb';

type Args = Record<string, unknown>;
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** Starts the `soap` package's server for the QBWC interface (no HTTP of its own; routes below feed it). */
async function soapServer(qbwc: QbwcService, location: string): Promise<soap.Server> {
  const port = {
    serverVersion: () => ({ serverVersionResult: qbwc.serverVersion() }),
    clientVersion: (args: Args) => ({ clientVersionResult: qbwc.clientVersion(str(args.strVersion)) }),
    authenticate: async (args: Args) => ({
      authenticateResult: { string: await qbwc.authenticate(str(args.strUserName), str(args.strPassword)) },
    }),
    sendRequestXML: async (args: Args) => ({
      sendRequestXMLResult: await qbwc.sendRequestXML(
        str(args.ticket),
        str(args.strHCPResponse),
        str(args.strCompanyFileName),
        str(args.qbXMLCountry),
        Number(args.qbXMLMajorVers ?? 0),
      ),
    }),
    receiveResponseXML: async (args: Args) => ({
      receiveResponseXMLResult: await qbwc.receiveResponseXML(
        str(args.ticket),
        str(args.response),
        str(args.hresult),
        str(args.message),
      ),
    }),
    connectionError: async (args: Args) => ({
      connectionErrorResult: await qbwc.connectionError(
        str(args.ticket),
        str(args.hresult),
        str(args.message),
      ),
    }),
    getLastError: async (args: Args) => ({ getLastErrorResult: await qbwc.getLastError(str(args.ticket)) }),
    closeConnection: async (args: Args) => ({
      closeConnectionResult: await qbwc.closeConnection(str(args.ticket)),
    }),
  };
  return new Promise((resolve, reject) => {
    soap.listen(null, {
      path: '/qbwc',
      services: { QBWebConnectorSvc: { QBWebConnectorSvcSoap: port } },
      xml: qbwcWsdl(location),
      suppressStack: true,
      callback: (error: unknown, server: soap.Server) =>
        error
          ? reject(error instanceof Error ? error : new Error('the QBWC WSDL could not be read'))
          : resolve(server),
    });
  });
}

/**
 * `/qbwc`: the Web Connector's SOAP endpoint (POST; `GET /qbwc?wsdl` serves the WSDL), and
 * `GET /qbwc/connections/<id>.qwc`, the .qwc file of a DESKTOP connection (an ADMIN key).
 */
export async function qbwcRouter(deps: {
  qbwc: QbwcService;
  webConnectors: WebConnectorService;
  authenticate: (authorization: unknown) => Promise<Principal | undefined>;
  logger: Logger;
}): Promise<Router> {
  const location = deps.webConnectors.appUrl;
  const server = await soapServer(deps.qbwc, location);
  const wsdl = qbwcWsdl(location);
  const router = express.Router();
  router.get('/qbwc', (req: Request, res: Response) => {
    if (!Object.keys(req.query).some((k) => k.toLowerCase() === 'wsdl')) {
      res
        .status(405)
        .type('text/plain')
        .send('The QuickBooks Web Connector POSTs SOAP here; GET /qbwc?wsdl for the WSDL.');
      return;
    }
    res.type('text/xml').send(wsdl);
  });
  router.post(
    '/qbwc',
    express.text({ type: () => true, limit: MAX_SOAP_BYTES }),
    async (req: Request, res: Response) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const answer = await server.processRequest(body, {
        url: '/qbwc',
        method: 'POST',
        headers: req.headers,
      });
      if (answer.statusCode >= 500)
        deps.logger.warn(
          { status: answer.statusCode },
          'the Web Connector sent a SOAP message we could not process',
        );
      res.status(answer.statusCode).type('text/xml; charset=utf-8').send(answer.body);
    },
  );
  router.get('/qbwc/connections/:file', async (req: Request, res: Response) => {
    const principal = await deps.authenticate(req.headers.authorization);
    if (!principal) {
      res
        .status(401)
        .json({ error: 'UNAUTHENTICATED', message: 'send an API key as Authorization: Bearer <key>' });
      return;
    }
    if (!principal.scopes.includes('ADMIN')) {
      res.status(403).json({ error: 'FORBIDDEN', message: 'the .qwc file needs an ADMIN key' });
      return;
    }
    try {
      const id = String(req.params.file).replace(/\.qwc$/i, '');
      const { fileName, xml } = await deps.webConnectors.qwcFile(principal.tenantId, id);
      res.attachment(fileName).type('application/xml').send(xml);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') {
        res.status(404).json({ error: 'NOT_FOUND', message: error.message });
        return;
      }
      throw error;
    }
  });
  return router;
}
