import { AppError } from '../errors';

/**
 * What a failure from QuickBooks means for the caller:
 * - `RETRYABLE`: transient (throttled, outage, network, stale SyncToken); trying again later can succeed.
 * - `NEEDS_REAUTHORIZATION`: the connection's authorization is gone; a person must reconnect.
 * - `FIX_DATA`: QuickBooks rejected the data; a person must change a record or a setting.
 * - `OUR_BUG`: the gateway sent something QuickBooks cannot understand; retrying will not help.
 */
export type QuickBooksErrorCategory = 'RETRYABLE' | 'NEEDS_REAUTHORIZATION' | 'FIX_DATA' | 'OUR_BUG';

/** Which way the data was going when the failure happened (the contract's `SyncDirection`). */
export type QuickBooksDirection = 'TO_QUICKBOOKS' | 'FROM_QUICKBOOKS';

/** One `Error` entry of a QuickBooks fault, normalised from any of its shapes. */
export interface QuickBooksFaultEntry {
  /** QuickBooks' code without leading zeros ("6240", "3200"), when it gave one. */
  code?: string;
  message: string;
  detail?: string;
  element?: string;
}

/** A QuickBooks fault, normalised from JSON (`Fault`/`fault`) or XML. */
export interface QuickBooksFault {
  type?: string;
  errors: QuickBooksFaultEntry[];
}

/** Where a failure happened; copied onto the error so logs and SyncLogs can name it. */
export interface QuickBooksErrorContext {
  operation?: string;
  entity?: string;
  requestId?: string;
  direction?: QuickBooksDirection;
}

export interface QuickBooksErrorInit extends QuickBooksErrorContext {
  httpStatus?: number;
  quickbooksCode?: string;
  quickbooksMessage: string;
  detail?: string;
  element?: string;
  intuitTid?: string;
  faultType?: string;
  /** Every entry of the fault (the first is the one described by the other fields). */
  errors?: QuickBooksFaultEntry[];
  /** True when no usable HTTP answer was received (connection refused/reset, timeout, truncated body). */
  network?: boolean;
  timedOut?: boolean;
  /** From a `Retry-After` header, when QuickBooks sent one. */
  retryAfterMs?: number;
  /** Overrides the classification table (used for failures that are ours, like a missing batch item). */
  category?: QuickBooksErrorCategory;
  hint?: string;
  cause?: unknown;
}

interface CodeRule {
  category: QuickBooksErrorCategory;
  hint: string;
}

const REAUTHORIZE_HINT = 'QuickBooks authorization expired or was revoked: reconnect this connection';
const RETRY_HINT = 'QuickBooks is temporarily unavailable: the call will be retried';
const THROTTLED_HINT =
  'QuickBooks limits requests per company (500 a minute, 10 at once): the call will be retried more slowly';
const OUR_BUG_HINT = 'The gateway sent a request QuickBooks could not accept: report this to support';

/**
 * QuickBooks code → category and what a person should do. Codes come from the reference (§3.2); the hint is shown
 * next to QuickBooks' own message and detail, so it says what to do rather than repeating what went wrong.
 */
const CODE_RULES: Record<string, CodeRule> = {
  '100': { category: 'NEEDS_REAUTHORIZATION', hint: REAUTHORIZE_HINT },
  '120': {
    category: 'NEEDS_REAUTHORIZATION',
    hint: 'The QuickBooks user who connected has no access to this company or feature: reconnect as a QuickBooks admin',
  },
  '130': {
    category: 'NEEDS_REAUTHORIZATION',
    hint: 'This company belongs to another QuickBooks environment (sandbox vs production): reconnect with the right environment',
  },
  '3200': { category: 'NEEDS_REAUTHORIZATION', hint: REAUTHORIZE_HINT },
  '3100': {
    category: 'NEEDS_REAUTHORIZATION',
    hint: 'QuickBooks refused access to this company (missing permission, or the wrong environment): reconnect this connection',
  },
  '3001': { category: 'RETRYABLE', hint: THROTTLED_HINT },
  '500': {
    category: 'OUR_BUG',
    hint: 'QuickBooks does not support this operation on this record: report this to support',
  },
  '600': {
    category: 'OUR_BUG',
    hint: 'QuickBooks saw this request id before with a different request: report this to support',
  },
  '610': {
    category: 'FIX_DATA',
    hint: 'The referenced record was deleted or made inactive in QuickBooks: reactivate it or choose another in settings',
  },
  '2010': { category: 'OUR_BUG', hint: OUR_BUG_HINT },
  '2020': {
    category: 'FIX_DATA',
    hint: 'QuickBooks needs a value that is missing (for example an item income or expense account): fill it in on the record or in settings',
  },
  '2050': {
    category: 'FIX_DATA',
    hint: 'A value is longer or shorter than QuickBooks allows: shorten or complete it',
  },
  '2170': { category: 'OUR_BUG', hint: OUR_BUG_HINT },
  '2500': {
    category: 'FIX_DATA',
    hint: 'A referenced record (item, customer, account, tax code...) does not exist in QuickBooks or is inactive: fix the mapping in settings or re-sync reference data',
  },
  '4000': { category: 'OUR_BUG', hint: OUR_BUG_HINT },
  '5010': {
    category: 'RETRYABLE',
    hint: 'The record changed in QuickBooks since it was read: it will be re-read and retried',
  },
  '5020': {
    category: 'FIX_DATA',
    hint: "This company's QuickBooks subscription does not include this feature: upgrade it or turn the feature off in settings",
  },
  '6000': {
    category: 'FIX_DATA',
    hint: 'QuickBooks rejected the record by a business rule: read the detail, fix the record and post again',
  },
  '6070': {
    category: 'OUR_BUG',
    hint: 'A line amount did not equal quantity × unit price: report this to support',
  },
  '6100': {
    category: 'FIX_DATA',
    hint: 'A line has a tax code QuickBooks does not accept (US companies use TAX or NON): fix the tax code mapping in settings',
  },
  '6140': {
    category: 'FIX_DATA',
    hint: 'Another QuickBooks transaction already uses this document number: check whether it was already posted, or change the numbering in settings',
  },
  '6190': {
    category: 'FIX_DATA',
    hint: "This company's QuickBooks subscription has ended or is suspended: renew it in QuickBooks",
  },
  '6210': {
    category: 'FIX_DATA',
    hint: 'The transaction date is in a closed accounting period: change the date or reopen the period in QuickBooks',
  },
  '6240': {
    category: 'FIX_DATA',
    hint: 'A customer, vendor or employee already uses this name: rename it or match the existing one',
  },
  '6540': {
    category: 'FIX_DATA',
    hint: 'The transaction is already part of a bank deposit in QuickBooks: remove it from the deposit first',
  },
  '10000': {
    category: 'OUR_BUG',
    hint: 'QuickBooks failed to process the request (usually a malformed payload): report this to support',
  },
};

/**
 * Classifies a failure. QuickBooks' code wins when known; otherwise the HTTP status, then the code's range
 * (old IPP table: 1–499 auth, 500–599 unsupported, 600–9999 data, 10000+ severe).
 */
export const classifyQuickBooksFailure = (input: {
  httpStatus?: number;
  quickbooksCode?: string;
  network?: boolean;
}): CodeRule => {
  const { httpStatus, quickbooksCode: code, network } = input;
  if (network) return { category: 'RETRYABLE', hint: RETRY_HINT };
  if (httpStatus === 429) return { category: 'RETRYABLE', hint: THROTTLED_HINT };
  // Any 5xx is the server's trouble: 3100 is what the API gateway answers during outages, and a 10000 on a 500 comes
  // with Intuit's own "please wait a few minutes and try again". A 10000 on a 400 is a malformed payload (OUR_BUG).
  if (httpStatus !== undefined && httpStatus >= 500) return { category: 'RETRYABLE', hint: RETRY_HINT };
  if (code !== undefined && CODE_RULES[code]) return CODE_RULES[code];
  if (httpStatus === 401 || httpStatus === 403)
    return { category: 'NEEDS_REAUTHORIZATION', hint: REAUTHORIZE_HINT };
  if (httpStatus === 404 || httpStatus === 405 || httpStatus === 415)
    return { category: 'OUR_BUG', hint: OUR_BUG_HINT };
  const n = code === undefined ? NaN : Number(code);
  if (Number.isFinite(n)) {
    if (n >= 1 && n < 500) return { category: 'NEEDS_REAUTHORIZATION', hint: REAUTHORIZE_HINT };
    if (n >= 500 && n < 600) return { category: 'OUR_BUG', hint: OUR_BUG_HINT };
    if (n >= 10000) return { category: 'OUR_BUG', hint: OUR_BUG_HINT };
  }
  return {
    category: 'FIX_DATA',
    hint: "QuickBooks rejected the request: read QuickBooks' message and detail, fix the record and try again",
  };
};

/** Bearer tokens and JWT-looking strings are cut out of anything that reaches a message or a log. */
export const redactSecrets = (text: string): string =>
  text
    .replace(/(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9._-]+/g, '[redacted]')
    .replace(/((?:access|refresh)_token["'=:\s]+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]');

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The one error type for every failure talking to QuickBooks. It keeps QuickBooks' code, message and detail,
 * classifies the failure and carries a hint for a person. `extensions` is what the GraphQL layer shows.
 */
export class QuickBooksError extends AppError {
  readonly quickbooksCode?: string;
  readonly quickbooksMessage: string;
  readonly detail?: string;
  readonly element?: string;
  readonly httpStatus?: number;
  readonly intuitTid?: string;
  readonly faultType?: string;
  readonly category: QuickBooksErrorCategory;
  readonly errors: QuickBooksFaultEntry[];
  readonly network: boolean;
  readonly timedOut: boolean;
  readonly retryAfterMs?: number;
  readonly operation?: string;
  readonly entity?: string;
  readonly requestId?: string;
  readonly direction?: QuickBooksDirection;
  /** How many HTTP attempts were made before giving up (set by the client). */
  attempts = 1;

  constructor(init: QuickBooksErrorInit) {
    const rule = classifyQuickBooksFailure(init);
    const category = init.category ?? rule.category;
    const hint =
      init.hint ?? (init.category === undefined || init.category === rule.category ? rule.hint : undefined);
    const throttled = init.httpStatus === 429 || init.quickbooksCode === '3001';
    const quickbooksMessage = redactSecrets(init.quickbooksMessage);
    const detail = init.detail === undefined ? undefined : redactSecrets(init.detail);
    const where = [init.operation, init.entity].filter(Boolean).join(' ');
    const facts = [
      init.quickbooksCode === undefined ? undefined : `code ${init.quickbooksCode}`,
      init.httpStatus === undefined ? undefined : `HTTP ${init.httpStatus}`,
    ].filter(Boolean);
    const message =
      `QuickBooks ${where ? `${where} failed` : 'call failed'}: ${quickbooksMessage}` +
      (detail && detail !== quickbooksMessage ? ` — ${detail}` : '') +
      (facts.length > 0 ? ` (${facts.join(', ')})` : '');
    super(throttled ? 'RATE_LIMITED' : 'QUICKBOOKS_ERROR', message, {
      hint,
      cause: init.cause,
      extensions: {
        quickbooksCode: init.quickbooksCode ?? null,
        category,
        quickbooksMessage,
        ...(detail === undefined ? {} : { detail }),
        ...(init.element ? { element: init.element } : {}),
        ...(init.httpStatus === undefined ? {} : { httpStatus: init.httpStatus }),
        ...(init.intuitTid === undefined ? {} : { intuitTid: init.intuitTid }),
        ...(init.direction === undefined ? {} : { direction: init.direction }),
      },
    });
    this.name = 'QuickBooksError';
    this.quickbooksCode = init.quickbooksCode;
    this.quickbooksMessage = quickbooksMessage;
    this.detail = detail;
    this.element = init.element || undefined;
    this.httpStatus = init.httpStatus;
    this.intuitTid = init.intuitTid;
    this.faultType = init.faultType;
    this.category = category;
    this.errors = (init.errors ?? []).map((e) => ({
      ...e,
      message: redactSecrets(e.message),
      detail: e.detail === undefined ? undefined : redactSecrets(e.detail),
    }));
    this.network = init.network ?? false;
    this.timedOut = init.timedOut ?? false;
    this.retryAfterMs = init.retryAfterMs;
    this.operation = init.operation;
    this.entity = init.entity;
    this.requestId = init.requestId;
    this.direction = init.direction;
  }

  /** True when QuickBooks throttled the call (HTTP 429 or code 3001). */
  get throttled(): boolean {
    return this.httpStatus === 429 || this.quickbooksCode === '3001';
  }

  /**
   * True when sending the very same request again can succeed: throttling, 5xx outages and lost connections.
   * (A stale SyncToken is RETRYABLE for the caller, who must re-read first, but not transient.)
   */
  get transient(): boolean {
    if (this.category !== 'RETRYABLE') return false;
    return this.network || this.throttled || (this.httpStatus !== undefined && this.httpStatus >= 500);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fault parsing

/** Response headers as node:http gives them, or a WHATWG `Headers`. */
export type HeaderBag = Headers | Record<string, string | string[] | number | undefined>;

export const headerValue = (headers: HeaderBag | undefined, name: string): string | undefined => {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | number | undefined>;
  const raw = bag[name] ?? bag[name.toLowerCase()];
  if (raw === undefined) return undefined;
  return Array.isArray(raw) ? raw[0] : String(raw);
};

/** Intuit's transaction id header, quoted to support when a call fails. */
export const intuitTidOf = (headers: HeaderBag | undefined): string | undefined =>
  headerValue(headers, 'intuit_tid') ?? headerValue(headers, 'intuit-tid');

/** `Retry-After` as milliseconds (seconds or an HTTP date); undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | undefined, nowMs = Date.now()): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
};

/** "003200" → "3200"; also finds `errorCode=003001` inside gateway-style messages when no code field is present. */
const normaliseCode = (code: unknown, message?: string): string | undefined => {
  let raw = str(code)?.trim() || undefined;
  if (raw === undefined && message) raw = /errorCode=(\d+)/.exec(message)?.[1];
  if (raw === undefined) return undefined;
  return /^\d+$/.test(raw) ? String(Number(raw)) : raw;
};

/** A scalar as text; objects (never expected where this is used) are written as JSON rather than "[object Object]". */
function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** Both JSON fault shapes: `{"Fault":{"Error":[{"Message","Detail","code","element"}],"type"}}` and the API
 * gateway's lowercase `{"fault":{"error":[{"message","detail","code","element"}],"type"}}`. */
export const faultFromJson = (value: unknown): QuickBooksFault | undefined => {
  if (!value || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const fault = (record.Fault ?? record.fault) as Record<string, unknown> | undefined | null;
  if (!fault || typeof fault !== 'object') return undefined;
  const list = fault.Error ?? fault.error;
  const items = Array.isArray(list) ? list : list ? [list] : [];
  const errors = items
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
    .map((e) => {
      const message = str(e.Message ?? e.message) ?? '';
      return {
        code: normaliseCode(e.code ?? e.Code, message),
        message,
        detail: str(e.Detail ?? e.detail),
        element: str(e.element ?? e.Element) || undefined,
      };
    });
  return { type: str(fault.type ?? fault.Type), errors };
};

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const decodeXml = (text: string): string =>
  text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const n =
          name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(n) ? String.fromCodePoint(n) : whole;
      }
      return XML_ENTITIES[name.toLowerCase()] ?? whole;
    })
    .trim();

const xmlAttr = (attrs: string, name: string): string | undefined => {
  const m = new RegExp(`(?:^|\\s)(?:\\w+:)?${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m ? decodeXml(m[1] ?? m[2] ?? '') : undefined;
};

const xmlChild = (body: string, name: string): string | undefined => {
  const m = new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(body);
  return m ? decodeXml(m[1]) : undefined;
};

/** `<IntuitResponse><Fault type=".."><Error code=".." element=".."><Message>..</Message><Detail>..</Detail></Error>
 * </Fault></IntuitResponse>`, with or without namespace prefixes. A dozen lines of regex instead of a dependency:
 * the shape is fixed and only the fault is read. */
export const faultFromXml = (text: string): QuickBooksFault | undefined => {
  const fault = /<(?:\w+:)?Fault\b([^>]*?)(\/?)>([\s\S]*?)(?:<\/(?:\w+:)?Fault>|$)/.exec(text);
  if (!fault) return undefined;
  const errors: QuickBooksFaultEntry[] = [];
  const errorRe = /<(?:\w+:)?Error\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?Error>)/g;
  for (let m = errorRe.exec(fault[3]); m; m = errorRe.exec(fault[3])) {
    const inner = m[2] ?? '';
    const message = xmlChild(inner, 'Message') ?? '';
    errors.push({
      code: normaliseCode(xmlAttr(m[1], 'code'), message),
      message,
      detail: xmlChild(inner, 'Detail'),
      element: xmlAttr(m[1], 'element') || undefined,
    });
  }
  return { type: xmlAttr(fault[1], 'type'), errors };
};

/** The text of an HTML error page's `<title>` (or first heading), for 502/503 pages from Intuit's edge. */
const htmlTitle = (text: string): string | undefined => {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text) ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(text);
  if (!m) return undefined;
  const title = decodeXml(m[1].replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ');
  return title ? clip(title, 200) : undefined;
};

/** Reads a fault out of a response body of any shape; undefined when the body holds none. */
export const parseFaultBody = (bodyText: string): QuickBooksFault | undefined => {
  const text = bodyText.trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return faultFromJson(JSON.parse(text));
    } catch {
      return undefined;
    }
  }
  if (text.startsWith('<') && /<(?:\w+:)?Fault\b/.test(text)) return faultFromXml(text);
  return undefined;
};

/** The error of a QuickBooks fault object (as found in a batch item or a CDC response). */
export const errorFromFault = (
  fault: QuickBooksFault,
  extra: QuickBooksErrorContext & { httpStatus?: number; intuitTid?: string; retryAfterMs?: number } = {},
): QuickBooksError => {
  const first = fault.errors[0];
  return new QuickBooksError({
    ...extra,
    quickbooksCode: first?.code,
    quickbooksMessage: first?.message || fault.type || 'QuickBooks returned a fault without a message',
    detail: first?.detail,
    element: first?.element,
    faultType: fault.type,
    errors: fault.errors,
  });
};

/**
 * Turns a failed HTTP answer into a `QuickBooksError`: JSON faults in both casings, XML faults (throttling and some
 * auth failures come back as XML even when JSON was asked for), HTML pages and empty bodies from the edge.
 */
export const parseFault = (
  httpStatus: number,
  headers: HeaderBag | undefined,
  bodyText: string,
  context: QuickBooksErrorContext = {},
): QuickBooksError => {
  const intuitTid = intuitTidOf(headers);
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'));
  const base = { ...context, httpStatus, intuitTid, retryAfterMs };
  const fault = parseFaultBody(bodyText);
  if (fault && (fault.errors.length > 0 || fault.type)) return errorFromFault(fault, base);
  const text = bodyText.trim();
  if (text === '') {
    return new QuickBooksError({
      ...base,
      quickbooksMessage: `QuickBooks answered HTTP ${httpStatus} with an empty body`,
    });
  }
  if (text.startsWith('<')) {
    const title = htmlTitle(text);
    return new QuickBooksError({
      ...base,
      quickbooksMessage: `QuickBooks answered HTTP ${httpStatus} with a web page instead of data`,
      detail: title,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // OAuth-style bodies ({"error":"invalid_token","error_description":".."}) and anything else: keep a short excerpt.
  if (json && typeof json === 'object' && typeof (json as Record<string, unknown>).error === 'string') {
    const j = json as Record<string, unknown>;
    return new QuickBooksError({
      ...base,
      quickbooksMessage: String(j.error),
      detail: str(j.error_description),
    });
  }
  return new QuickBooksError({
    ...base,
    quickbooksMessage: `QuickBooks answered HTTP ${httpStatus}`,
    detail: clip(text.replace(/\s+/g, ' '), 300),
  });
};
