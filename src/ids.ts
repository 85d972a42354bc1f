import { randomBytes } from 'node:crypto';

/**
 * Opaque, time-ordered ids with a type prefix (`ord_0190f3c2a1b4c7d9e2f1a3b5c7d9`): the prefix lets `Query.node`
 * find the type without a lookup, and the time order makes ids usable as stable pagination cursors.
 */
export const ID_PREFIXES = {
  tenant: 'ten',
  apiKey: 'key',
  connection: 'con',
  oauthState: 'ost',
  referenceEntity: 'ref',
  order: 'ord',
  invoice: 'inv',
  payment: 'pay',
  batch: 'bat',
  batchItem: 'bit',
  syncLog: 'log',
  job: 'job',
  pendingEntity: 'pen',
  webhookEvent: 'whe',
  quickbooksDelivery: 'qbd',
  desktopSession: 'qws',
  desktopRequest: 'qbr',
  webhookEndpoint: 'wep',
  webhookMessage: 'msg',
  refund: 'rfd',
  partnerRecord: 'prt',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

let lastMs = 0;
let counter = 0;
/** Random bytes drawn 4 KiB at a time: one call into the system's generator per ~680 ids instead of one per id. */
let pool = Buffer.alloc(0);
let poolOffset = 0;
const randomHex = (bytes: number): string => {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += bytes;
  return pool.toString('hex', poolOffset - bytes, poolOffset);
};

export function newId(kind: IdKind): string {
  const now = Date.now();
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  // 12 hex digits of milliseconds, 4 of a per-millisecond counter, 12 random: sortable within one process.
  const time = now.toString(16).padStart(12, '0');
  const seq = (counter & 0xffff).toString(16).padStart(4, '0');
  return `${ID_PREFIXES[kind]}_${time}${seq}${randomHex(6)}`;
}

export function idKind(id: string): IdKind | undefined {
  const prefix = id.slice(0, id.indexOf('_'));
  return (Object.keys(ID_PREFIXES) as IdKind[]).find((kind) => ID_PREFIXES[kind] === prefix);
}
