/**
 * The shapes QuickBooks answers errors in (reference §3.1): the usual `{"Fault":{...},"time"}` JSON, the same as XML
 * (throttling often comes back as XML even when JSON was asked for), the API gateway's lowercase shape for 401/403, and
 * the bare HTML pages load balancers send during outages.
 */
import { intuitTime } from './clock';
import { escapeXml, type Reply } from './http-util';

/** How a fault body is written. */
export type FaultFormat = 'json' | 'xml' | 'html';

/** One fault to answer with. */
export interface FaultSpec {
  status: number;
  code: string;
  message?: string;
  detail?: string | null;
  /** Fault `type`; derived from the status when absent. */
  type?: string;
  format?: FaultFormat;
}

/** Message and detail QuickBooks sends for the codes clients usually branch on. */
const KNOWN: Record<string, { message: string; detail: string | null; type: string }> = {
  '3001': {
    message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
    detail: 'The request limit was reached.  Try again later',
    type: 'SERVICE',
  },
  '3200': {
    message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
    detail: 'Token expired',
    type: 'AUTHENTICATION',
  },
  '3100': {
    message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
    detail: null,
    type: 'SERVICE',
  },
  '100': {
    message: 'General Authentication Error',
    detail: 'AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401',
    type: 'AuthenticationFault',
  },
  '500': { message: 'Unsupported Operation', detail: 'Operation is not supported.', type: 'ValidationFault' },
  '610': {
    message: 'Object Not Found',
    detail:
      "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
    type: 'ValidationFault',
  },
  '5010': {
    message: 'Stale Object Error',
    detail:
      'Stale Object Error : You and sandbox were working on this at the same time. sandbox finished before you did, so your work was not saved.',
    type: 'ValidationFault',
  },
  '6000': {
    message: 'A business validation error has occurred while processing your request',
    detail: 'Business Validation Error: injected by the sandbox',
    type: 'ValidationFault',
  },
  '6240': {
    message: 'Duplicate Name Exists Error',
    detail: 'The name supplied already exists. : Id=1',
    type: 'ValidationFault',
  },
  '10000': {
    message: 'An application error has occurred while processing your request',
    detail:
      'System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again. If the problem persists, contact customer support.',
    type: 'SystemFault',
  },
};

function defaultType(status: number): string {
  if (status === 401) return 'AUTHENTICATION';
  if (status === 403 || status === 429) return 'SERVICE';
  if (status >= 500) return 'SystemFault';
  return 'ValidationFault';
}

/** Fills message, detail and type from the code table and the status. */
export function completeFault(
  spec: FaultSpec,
): Required<Omit<FaultSpec, 'detail'>> & { detail: string | null } {
  const known = KNOWN[spec.code];
  return {
    status: spec.status,
    code: spec.code,
    message: spec.message ?? known?.message ?? `Sandbox injected fault ${spec.code}`,
    detail: spec.detail !== undefined ? spec.detail : (known?.detail ?? null),
    type: spec.type ?? known?.type ?? defaultType(spec.status),
    format: spec.format ?? 'json',
  };
}

/** The API gateway's lowercase fault shape (401/403 in front of the accounting service), `time` in epoch ms. */
export function gatewayFaultBody(
  code: string,
  message: string,
  detail: string | null,
  type: string,
  now: Date,
): unknown {
  return {
    warnings: null,
    intuitObject: null,
    fault: { error: [{ message, detail, code, element: null }], type },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: now.getTime(),
    status: null,
    cdcresponse: [],
  };
}

/** The accounting service's fault envelope. */
export function serviceFaultBody(
  code: string,
  message: string,
  detail: string | null,
  type: string,
  now: Date,
): unknown {
  return {
    Fault: { Error: [{ Message: message, Detail: detail ?? '', code, element: '' }], type },
    time: intuitTime(now),
  };
}

/** The same fault as QuickBooks' XML. */
export function serviceFaultXml(
  code: string,
  message: string,
  detail: string | null,
  type: string,
  now: Date,
): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    `<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="${intuitTime(now)}">` +
    `<Fault type="${escapeXml(type)}"><Error code="${escapeXml(code)}"><Message>${escapeXml(message)}</Message>` +
    `<Detail>${escapeXml(detail ?? '')}</Detail></Error></Fault></IntuitResponse>`
  );
}

/** A bare HTML error page like the ones in front of QuickBooks during outages. */
export function htmlFaultPage(status: number, message: string): string {
  const title = `${status} ${escapeXml(message)}`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
}

/**
 * Builds a fault reply. 401 and 403 use the gateway's lowercase shape, everything else the `Fault` envelope; the `xml`
 * and `html` formats override that.
 */
export function faultReply(spec: FaultSpec, now: Date, headers?: Record<string, string>): Reply {
  const f = completeFault(spec);
  if (f.format === 'xml') {
    return {
      status: f.status,
      body: serviceFaultXml(f.code, f.message, f.detail, f.type, now),
      contentType: 'application/xml',
      headers,
    };
  }
  if (f.format === 'html') {
    return {
      status: f.status,
      body: htmlFaultPage(f.status, spec.message ?? 'Error'),
      contentType: 'text/html',
      headers,
    };
  }
  const body =
    f.status === 401 || f.status === 403
      ? gatewayFaultBody(f.code, f.message, f.detail, f.type, now)
      : serviceFaultBody(f.code, f.message, f.detail, f.type, now);
  return {
    status: f.status,
    body: JSON.stringify(body),
    contentType: 'application/json;charset=UTF-8',
    headers,
  };
}
