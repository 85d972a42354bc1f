/** The QuickBooks Online client: one per connection, one governor per realm, classified errors. */
export { MAX_BATCH_ITEMS } from './batch';
export { processGovernors, QuickBooksClient } from './client';
export type {
  AccessTokenSource,
  AttemptInfo,
  BatchItemRequest,
  BatchItemResult,
  CdcResult,
  EntityVersion,
  QueryResult,
  QuickBooksClientOptions,
  QuickBooksClientStats,
  QuickBooksEntity,
  QuickBooksOperation,
  RetryOptions,
  UpdateOptions,
  WriteOptions,
} from './client-types';
export { DEFAULT_GOVERNOR_LIMITS, GovernorRegistry, RealmGovernor, systemClock } from './governor';
export type {
  GovernedCall,
  GovernedKind,
  GovernorClock,
  GovernorLimits,
  GovernorObserver,
  GovernorStats,
} from './governor';
export { createHttpSend, defaultHttpSend, HttpTransportError, sharedAgents } from './http-transport';
export type { HttpRequest, HttpResponse, HttpSend } from './http-transport';
export {
  classifyQuickBooksFailure,
  errorFromFault,
  faultFromJson,
  faultFromXml,
  parseFault,
  parseFaultBody,
  parseRetryAfter,
  QuickBooksError,
  redactSecrets,
} from './quickbooks-error';
export type {
  HeaderBag,
  QuickBooksDirection,
  QuickBooksErrorCategory,
  QuickBooksErrorContext,
  QuickBooksErrorInit,
  QuickBooksFault,
  QuickBooksFaultEntry,
} from './quickbooks-error';
export { QUICKBOOKS_BASE_URLS } from './requests';
export { toQueryResult } from './responses';
export { DEFAULT_RETRY, fullJitterDelay } from './retry-policy';
