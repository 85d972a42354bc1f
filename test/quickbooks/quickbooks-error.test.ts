import { AppError } from '../../src/errors';
import {
  classifyQuickBooksFailure,
  faultFromJson,
  parseFault,
  parseRetryAfter,
  QuickBooksError,
  redactSecrets,
} from '../../src/quickbooks';

// Samples copied from reference/quickbooks-api.md §3 (Intuit pages and the issues it cites).
const VALIDATION_6240 = JSON.stringify({
  Fault: {
    Error: [
      {
        Message: 'Duplicate Name Exists Error',
        Detail: 'The name supplied already exists. : Id=58',
        code: '6240',
        element: '',
      },
    ],
    type: 'ValidationFault',
  },
  time: '2017-09-29T09:17:31.892-07:00',
});

const GATEWAY_401 = JSON.stringify({
  warnings: null,
  intuitObject: null,
  fault: {
    error: [
      {
        message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
        detail: 'Token expired',
        code: '3200',
        element: null,
      },
    ],
    type: 'AUTHENTICATION',
  },
  report: null,
  queryResponse: null,
  batchItemResponse: [],
  attachableResponse: [],
  syncErrorResponse: null,
  requestId: null,
  time: 1633520295688,
  status: null,
  cdcresponse: [],
});

const XML_THROTTLE =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2016-08-09T08:43:50.563-07:00">' +
  '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>' +
  '<Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>';

const XML_AUTH =
  '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2019-01-01T00:00:00.000-08:00">' +
  '<Fault type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message>' +
  '<Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401</Detail></Error></Fault></IntuitResponse>';

describe('parseFault', () => {
  it('reads the JSON ValidationFault shape with code, message, detail and element', () => {
    const err = parseFault(400, { intuit_tid: '1-abc' }, VALIDATION_6240, {
      operation: 'create',
      entity: 'Customer',
    });
    expect(err).toBeInstanceOf(QuickBooksError);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('QUICKBOOKS_ERROR');
    expect(err.quickbooksCode).toBe('6240');
    expect(err.quickbooksMessage).toBe('Duplicate Name Exists Error');
    expect(err.detail).toBe('The name supplied already exists. : Id=58');
    expect(err.element).toBeUndefined();
    expect(err.faultType).toBe('ValidationFault');
    expect(err.httpStatus).toBe(400);
    expect(err.intuitTid).toBe('1-abc');
    expect(err.category).toBe('FIX_DATA');
    expect(err.hint).toBe(
      'A customer, vendor or employee already uses this name: rename it or match the existing one',
    );
    expect(err.message).toContain('create Customer');
    expect(err.message).toContain('Duplicate Name Exists Error');
    expect(err.message).toContain('Id=58');
    expect(err.extensions).toMatchObject({ quickbooksCode: '6240', category: 'FIX_DATA', httpStatus: 400 });
    expect(err.transient).toBe(false);
  });

  it('reads the lowercase API-gateway shape and strips leading zeros from codes', () => {
    const err = parseFault(401, {}, GATEWAY_401);
    expect(err.quickbooksCode).toBe('3200');
    expect(err.detail).toBe('Token expired');
    expect(err.faultType).toBe('AUTHENTICATION');
    expect(err.category).toBe('NEEDS_REAUTHORIZATION');
    expect(err.hint).toBe('QuickBooks authorization expired or was revoked: reconnect this connection');
  });

  it('finds errorCode=… in the message when the gateway shape omits the code', () => {
    const body = JSON.stringify({
      fault: {
        error: [{ message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403' }],
        type: 'SERVICE',
      },
    });
    const err = parseFault(403, {}, body);
    expect(err.quickbooksCode).toBe('3100');
    expect(err.category).toBe('NEEDS_REAUTHORIZATION');
  });

  it('reads XML throttling faults (sent as XML even when JSON was asked for) as RATE_LIMITED', () => {
    const err = parseFault(429, { 'content-type': 'application/xml', 'retry-after': '7' }, XML_THROTTLE);
    expect(err.quickbooksCode).toBe('3001');
    expect(err.faultType).toBe('SERVICE');
    expect(err.quickbooksMessage).toBe('message=ThrottleExceeded; errorCode=003001; statusCode=429');
    expect(err.detail).toBe('The request limit was reached.  Try again later');
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.category).toBe('RETRYABLE');
    expect(err.throttled).toBe(true);
    expect(err.transient).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
  });

  it('reads XML authentication faults', () => {
    const err = parseFault(401, {}, XML_AUTH);
    expect(err.quickbooksCode).toBe('100');
    expect(err.faultType).toBe('AuthenticationFault');
    expect(err.quickbooksMessage).toBe('General Authentication Error');
    expect(err.category).toBe('NEEDS_REAUTHORIZATION');
  });

  it('decodes XML entities, CDATA, namespace prefixes, element attributes and several errors', () => {
    const xml =
      '<ns2:IntuitResponse xmlns:ns2="x"><ns2:Fault type=\'ValidationFault\'>' +
      '<ns2:Error code="2500" element="Line.SalesItemLineDetail.ItemRef"><ns2:Message>Invalid Reference Id</ns2:Message>' +
      '<ns2:Detail>Invalid Reference Id : Line &amp; &lt;Item&gt; &#233;&#x41;</ns2:Detail></ns2:Error>' +
      '<ns2:Error code="6000"><ns2:Message><![CDATA[A <b>second</b> one]]></ns2:Message></ns2:Error>' +
      '</ns2:Fault></ns2:IntuitResponse>';
    const err = parseFault(400, {}, xml);
    expect(err.quickbooksCode).toBe('2500');
    expect(err.element).toBe('Line.SalesItemLineDetail.ItemRef');
    expect(err.detail).toBe('Invalid Reference Id : Line & <Item> éA');
    expect(err.errors).toHaveLength(2);
    expect(err.errors[1]).toMatchObject({ code: '6000', message: 'A <b>second</b> one' });
    expect(err.category).toBe('FIX_DATA');
  });

  it('turns HTML error pages and empty 5xx bodies into retryable errors', () => {
    const html = parseFault(
      503,
      { 'content-type': 'text/html' },
      '<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>oops</h1></body></html>',
    );
    expect(html.category).toBe('RETRYABLE');
    expect(html.transient).toBe(true);
    expect(html.quickbooksCode).toBeUndefined();
    expect(html.detail).toBe('503 Service Temporarily Unavailable');
    expect(html.extensions.quickbooksCode).toBeNull();
    const empty = parseFault(502, {}, '');
    expect(empty.category).toBe('RETRYABLE');
    expect(empty.quickbooksMessage).toContain('empty body');
    expect(empty.code).toBe('QUICKBOOKS_ERROR');
  });

  it('treats every 5xx as retryable (10000 and 3100 included) but a 10000 on a 400 as OUR_BUG', () => {
    const sys = (status: number) =>
      parseFault(
        status,
        {},
        JSON.stringify({
          Fault: {
            Error: [
              {
                Message: 'An application error has occurred while processing your request',
                Detail: 'System Failure Error: x',
                code: '10000',
              },
            ],
            type: 'SystemFault',
          },
        }),
      );
    expect(sys(500).category).toBe('RETRYABLE');
    expect(sys(500).transient).toBe(true);
    expect(sys(400).category).toBe('OUR_BUG');
    expect(sys(400).transient).toBe(false);
    const outage = JSON.stringify({
      fault: {
        error: [{ message: 'message=InternalServerError; errorCode=003100; statusCode=500' }],
        type: 'SERVICE',
      },
    });
    expect(parseFault(500, {}, outage).category).toBe('RETRYABLE');
    expect(parseFault(500, {}, outage).quickbooksCode).toBe('3100');
  });

  it('reads OAuth-style and unknown bodies without echoing secrets', () => {
    const oauth = parseFault(
      401,
      {},
      '{"error":"invalid_token","error_description":"Bearer abcdefghijklmnop is expired"}',
    );
    expect(oauth.quickbooksMessage).toBe('invalid_token');
    expect(oauth.detail).toBe('Bearer [redacted] is expired');
    expect(oauth.message).not.toContain('abcdefghijklmnop');
    const odd = parseFault(418, {}, 'teapot says access_token=SECRETSECRETSECRET');
    expect(odd.detail).not.toContain('SECRETSECRET');
    expect(odd.category).toBe('FIX_DATA');
  });

  it('reads a per-item batch fault object', () => {
    const fault = faultFromJson({
      bId: 'bid1',
      Fault: {
        type: 'ValidationFault',
        Error: [{ Message: 'Stale Object Error', Detail: 'Stale Object Error : You and x', code: '5010' }],
      },
    });
    expect(fault).toEqual({
      type: 'ValidationFault',
      errors: [
        {
          code: '5010',
          message: 'Stale Object Error',
          detail: 'Stale Object Error : You and x',
          element: undefined,
        },
      ],
    });
    expect(faultFromJson({ bId: 'b', Customer: {} })).toBeUndefined();
  });
});

describe('classification and hints', () => {
  const cases: Array<[string | undefined, number | undefined, string, RegExp]> = [
    ['6240', 400, 'FIX_DATA', /already uses this name/],
    ['5010', 400, 'RETRYABLE', /changed in QuickBooks since it was read: it will be re-read and retried/],
    [
      '610',
      400,
      'FIX_DATA',
      /deleted or made inactive in QuickBooks: reactivate it or choose another in settings/,
    ],
    ['2500', 400, 'FIX_DATA', /does not exist in QuickBooks or is inactive/],
    ['2020', 400, 'FIX_DATA', /missing/],
    ['6000', 400, 'FIX_DATA', /business rule/],
    ['6140', 400, 'FIX_DATA', /document number/],
    ['6210', 400, 'FIX_DATA', /closed accounting period/],
    ['3001', 429, 'RETRYABLE', /retried/],
    ['3001', 403, 'RETRYABLE', /retried/],
    ['3200', 401, 'NEEDS_REAUTHORIZATION', /reconnect this connection/],
    [undefined, 401, 'NEEDS_REAUTHORIZATION', /reconnect this connection/],
    ['3100', 403, 'NEEDS_REAUTHORIZATION', /reconnect/],
    [undefined, 503, 'RETRYABLE', /retried/],
    [undefined, 429, 'RETRYABLE', /retried/],
    ['10000', 400, 'OUR_BUG', /support/],
    ['4000', 400, 'OUR_BUG', /support/],
    ['12345', 400, 'OUR_BUG', /support/],
    ['7777', 400, 'FIX_DATA', /message and detail/],
  ];
  it.each(cases)('code %s at HTTP %s is %s', (code, status, category, hint) => {
    const rule = classifyQuickBooksFailure({ quickbooksCode: code, httpStatus: status });
    expect(rule.category).toBe(category);
    expect(rule.hint).toMatch(hint);
  });

  it('classifies network failures as retryable and transient', () => {
    const err = new QuickBooksError({
      quickbooksMessage: 'Could not reach QuickBooks: ECONNRESET',
      network: true,
    });
    expect(err.category).toBe('RETRYABLE');
    expect(err.transient).toBe(true);
    expect(err.code).toBe('QUICKBOOKS_ERROR');
  });

  it('does not treat a stale SyncToken as transient (it must be re-read, not re-sent)', () => {
    const err = new QuickBooksError({
      quickbooksMessage: 'Stale Object Error',
      quickbooksCode: '5010',
      httpStatus: 400,
    });
    expect(err.category).toBe('RETRYABLE');
    expect(err.transient).toBe(false);
  });

  it('marks throttling as RATE_LIMITED and everything else as QUICKBOOKS_ERROR', () => {
    expect(new QuickBooksError({ quickbooksMessage: 'x', httpStatus: 429 }).code).toBe('RATE_LIMITED');
    expect(
      new QuickBooksError({ quickbooksMessage: 'x', httpStatus: 400, quickbooksCode: '6240' }).code,
    ).toBe('QUICKBOOKS_ERROR');
  });
});

describe('helpers', () => {
  it('parses Retry-After in seconds and as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('redacts bearer tokens, JWTs and token fields', () => {
    const text = redactSecrets(
      'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig and refresh_token=AB12cd34EF56gh78 and eyJabcdefghij.klmnop',
    );
    expect(text).not.toMatch(/eyJhbGci|AB12cd34|eyJabcdefghij/);
    expect(text).toContain('Bearer [redacted]');
  });
});
