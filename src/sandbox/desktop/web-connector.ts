/**
 * An emulated QuickBooks Web Connector: it calls an application's SOAP service the way QBWC does (document/literal
 * SOAP 1.1, namespace http://developer.intuit.com/, one SOAPAction per method) and hands every qbXML request to a
 * company file. One run: serverVersion → clientVersion → authenticate → (sendRequestXML → QuickBooks →
 * receiveResponseXML)* → closeConnection. Faults reproduce what breaks real runs: a lost response (QuickBooks did the
 * work, the application never hears of it), a company file that will not open (connectionError), a run stopped halfway,
 * and the network failing under it.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { hostCompanyPreferences } from './host';
import type { QbxmlProcessor } from './processor';
import { QbxmlParseError } from './xml';

const INTUIT_NS = 'http://developer.intuit.com/';
/** The version string QBWC 2.3 sends to clientVersion. */
export const QBWC_VERSION = '2.3.0.215';

/** What can go wrong in runs, drawn from a seeded generator so a drill can be replayed. */
export interface WebConnectorFaults {
  seed?: number;
  /** Each message's answer is lost with this probability (QuickBooks ran the requests; the run then ends). */
  loseResponseProbability?: number;
  /** The next N messages' answers are lost. */
  loseResponses?: number;
  /** The next N runs cannot open the company file (QBWC reports it through connectionError). */
  connectionErrors?: number;
  /** Runs stop after this many messages, as when the Web Connector is closed mid-run (no closeConnection). */
  interruptAfter?: number;
}

export type RunOutcome =
  | 'done'
  | 'none'
  | 'nvu'
  | 'busy'
  | 'error'
  | 'lost-response'
  | 'interrupted'
  | 'connection-error'
  | 'network-error'
  | 'version-refused';

export interface RunResult {
  outcome: RunOutcome;
  /** Request messages QuickBooks ran in this run. */
  messages: number;
  /** The last percent-done the application reported. */
  percent?: number;
  /** getLastError's text, a SOAP fault or a network error. */
  message?: string;
}

export interface WebConnectorStats {
  runs: number;
  messages: number;
  lostResponses: number;
  connectionErrors: number;
  interrupted: number;
  networkErrors: number;
}

export interface WebConnectorOptions {
  /** The application's AppURL (from its .qwc file). */
  url: string;
  userName: string;
  password: string;
  processor: QbxmlProcessor;
  faults?: WebConnectorFaults;
  /** Called with each request message before QuickBooks runs it (a test can kill the application here). */
  onMessage?: (requestXml: string, index: number) => void | Promise<void>;
  /** Per-call HTTP timeout (ms). */
  timeoutMs?: number;
}

/** A SOAP fault or an unreadable answer from the application. */
export class SoapCallError extends Error {
  constructor(
    message: string,
    readonly network: boolean,
  ) {
    super(message);
    this.name = 'SoapCallError';
  }
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true });
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'string',
  // SOAP stacks write newlines and tabs in text as character references (&#xA;).
  htmlEntities: true,
});

/** A SOAP 1.1 envelope as QBWC writes it: the method element in the default namespace, arguments in WSDL order. */
export function soapEnvelope(method: string, args: Array<[string, string | number]>): string {
  const call: Record<string, unknown> = { '@_xmlns': INTUIT_NS };
  for (const [name, value] of args) call[name] = String(value);
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    builder.build({
      'soap:Envelope': {
        '@_xmlns:soap': 'http://schemas.xmlsoap.org/soap/envelope/',
        '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
        'soap:Body': { [method]: call },
      },
    })
  );
}

/** Calls one method of a QBWC SOAP service; returns `<method>Result` (a string, or a string[] for ArrayOfString). */
export async function callSoap(
  url: string,
  method: string,
  args: Array<[string, string | number]>,
  timeoutMs = 120_000,
): Promise<string | string[]> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${INTUIT_NS}${method}"` },
      body: soapEnvelope(method, args),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new SoapCallError(`${method}: ${(error as Error).message}`, true);
  }
  const text = await response.text().catch(() => '');
  let parsed: SoapDocument;
  try {
    parsed = parser.parse(text) as SoapDocument;
  } catch {
    throw new SoapCallError(`${method}: HTTP ${response.status} with an unreadable body`, true);
  }
  const body = parsed.Envelope?.Body;
  if (body?.Fault) {
    const fault = body.Fault as { faultstring?: string; Reason?: { Text?: string } };
    throw new SoapCallError(
      `${method}: SOAP fault ${fault.faultstring ?? fault.Reason?.Text ?? JSON.stringify(fault)}`,
      false,
    );
  }
  const answer = body?.[`${method}Response`] as Record<string, unknown> | string | undefined;
  const result = typeof answer === 'object' ? answer[`${method}Result`] : undefined;
  if (result === undefined) {
    if (answer !== undefined) return '';
    throw new SoapCallError(`${method}: HTTP ${response.status} without a ${method}Response`, true);
  }
  if (typeof result === 'object' && result !== null) {
    const strings = (result as { string?: unknown[] }).string ?? [];
    return strings.map((s) => (typeof s === 'string' ? s : ''));
  }
  return typeof result === 'string' || typeof result === 'number' ? String(result) : '';
}

/** A parsed SOAP answer (namespace prefixes removed). */
interface SoapDocument {
  Envelope?: { Body?: Record<string, unknown> & { Fault?: unknown } };
}

/** Seeded uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export class WebConnector {
  readonly stats: WebConnectorStats = {
    runs: 0,
    messages: 0,
    lostResponses: 0,
    connectionErrors: 0,
    interrupted: 0,
    networkErrors: 0,
  };
  private faults: WebConnectorFaults;
  private random: () => number;
  private running?: Promise<RunResult>;
  private timer?: NodeJS.Timeout;
  private stopped = true;

  constructor(private readonly options: WebConnectorOptions) {
    this.faults = { ...options.faults };
    this.random = seededRandom(options.faults?.seed ?? 1);
  }

  get company() {
    return this.options.processor.company;
  }

  /** Replaces the fault settings (a new seed restarts the draws). */
  setFaults(faults: WebConnectorFaults): void {
    this.faults = { ...faults };
    this.random = seededRandom(faults.seed ?? 1);
  }

  /** One run now ("Update Selected"); a run already under way is joined rather than started twice. */
  run(): Promise<RunResult> {
    this.running ??= this.session().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Runs until the application reports nothing left to do (or `maxRuns`); returns every run's result. */
  async runUntilIdle(maxRuns = 50): Promise<RunResult[]> {
    const results: RunResult[] = [];
    for (let i = 0; i < maxRuns; i++) {
      const result = await this.run();
      results.push(result);
      if (result.outcome === 'none' || result.outcome === 'nvu' || result.outcome === 'version-refused')
        break;
    }
    return results;
  }

  /** Runs every `everyMs` (the .qwc file's Scheduler), the next run starting when the last one ended. */
  start(everyMs: number): void {
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      void this.run().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, everyMs);
      });
    };
    this.timer = setTimeout(tick, everyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private call(method: string, args: Array<[string, string | number]>): Promise<string | string[]> {
    return callSoap(this.options.url, method, args, this.options.timeoutMs);
  }

  private async session(): Promise<RunResult> {
    this.stats.runs += 1;
    let messages = 0;
    try {
      return await this.exchange((n) => (messages = n));
    } catch (error) {
      if (!(error instanceof SoapCallError)) throw error;
      if (error.network) this.stats.networkErrors += 1;
      return { outcome: error.network ? 'network-error' : 'error', messages, message: error.message };
    } finally {
      this.company.endSession();
    }
  }

  private async exchange(progress: (messages: number) => void): Promise<RunResult> {
    await this.call('serverVersion', []);
    const version = String(await this.call('clientVersion', [['strVersion', QBWC_VERSION]]));
    if (version.startsWith('E:') || version.startsWith('O:'))
      return { outcome: 'version-refused', messages: 0, message: version.slice(2) };
    const auth = await this.call('authenticate', [
      ['strUserName', this.options.userName],
      ['strPassword', this.options.password],
    ]);
    const [ticket = '', answer = ''] = Array.isArray(auth) ? auth : [auth];
    if (answer === 'nvu' || answer === 'none' || answer === 'busy') return { outcome: answer, messages: 0 };
    if ((this.faults.connectionErrors ?? 0) > 0) {
      this.faults.connectionErrors! -= 1;
      this.stats.connectionErrors += 1;
      const next = String(
        await this.call('connectionError', [
          ['ticket', ticket],
          ['hresult', '0x80040408'],
          ['message', 'Could not start QuickBooks.'],
        ]),
      );
      await this.call('closeConnection', [['ticket', ticket]]);
      return { outcome: 'connection-error', messages: 0, message: next };
    }
    const company = this.company;
    let messages = 0;
    for (;;) {
      const request = String(
        await this.call('sendRequestXML', [
          ['ticket', ticket],
          ['strHCPResponse', messages === 0 ? hostCompanyPreferences(company) : ''],
          ['strCompanyFileName', company.fileName],
          ['qbXMLCountry', 'US'],
          ['qbXMLMajorVers', 13],
          ['qbXMLMinorVers', 0],
        ]),
      );
      if (request === '') {
        const message = String(await this.call('getLastError', [['ticket', ticket]]));
        await this.call('closeConnection', [['ticket', ticket]]);
        return { outcome: 'error', messages, message };
      }
      await this.options.onMessage?.(request, messages);
      let response = '';
      let hresult = '';
      let message = '';
      try {
        response = this.options.processor.process(request);
      } catch (error) {
        if (!(error instanceof QbxmlParseError)) throw error;
        hresult = error.hresult;
        message = error.message;
      }
      messages += 1;
      progress(messages);
      this.stats.messages += 1;
      if (this.loseThisResponse()) {
        this.stats.lostResponses += 1;
        return { outcome: 'lost-response', messages };
      }
      const percent = Number(
        await this.call('receiveResponseXML', [
          ['ticket', ticket],
          ['response', response],
          ['hresult', hresult],
          ['message', message],
        ]),
      );
      if (percent < 0) {
        const error = String(await this.call('getLastError', [['ticket', ticket]]));
        await this.call('closeConnection', [['ticket', ticket]]);
        return { outcome: 'error', messages, percent, message: error };
      }
      if (percent >= 100) {
        const closing = String(await this.call('closeConnection', [['ticket', ticket]]));
        return { outcome: 'done', messages, percent, message: closing };
      }
      if (this.faults.interruptAfter !== undefined && messages >= this.faults.interruptAfter) {
        this.stats.interrupted += 1;
        return { outcome: 'interrupted', messages, percent };
      }
    }
  }

  private loseThisResponse(): boolean {
    if ((this.faults.loseResponses ?? 0) > 0) {
      this.faults.loseResponses! -= 1;
      return true;
    }
    const p = this.faults.loseResponseProbability ?? 0;
    return p > 0 && this.random() < p;
  }
}
