/**
 * Fault injection for drills and tests (`PUT /_sandbox/faults`). Rules are tried in order; the first one that matches,
 * still has `times` left and passes its `probability` draw fires. A rule can answer with a fault instead of running the
 * request, add latency, or run the request for real and then drop the connection without answering
 * (`dropResponseAfterCommit`, the lost-response case that makes naive clients post twice).
 */
import { AdminInputError } from './apps';
import type { RequestDescription } from './contracts';
import type { FaultFormat } from './fault-bodies';

/** What a rule matches on; every present field must match. */
export interface FaultMatch {
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Substring of the request path with its query string (`/v3/company/1/invoice`, `operation=delete`). */
  path?: string;
  /** Regular expression source tested against the same path with query string. */
  pathRegex?: string;
  /** Entity as QuickBooks spells it (`Invoice`), compared case-insensitively with `describe()`. */
  entity?: string;
  /** `create`, `read`, `update`, `delete`, `void`, `query`, `batch`, `cdc`, ... as `describe()` reports it. */
  operation?: string;
  realmId?: string;
}

/** The fault to answer with. */
export interface FaultResponse {
  status: number;
  code: string;
  message?: string;
  detail?: string;
  /** Fault `type`; derived from the status when absent. */
  type?: string;
  format?: FaultFormat;
}

/** One rule as accepted by `PUT /_sandbox/faults`. */
export interface FaultRule {
  match?: FaultMatch;
  /** How many times the rule may fire; unlimited when absent. */
  times?: number;
  /** Chance (0..1) that a matching request triggers the rule; 1 when absent. */
  probability?: number;
  respond?: FaultResponse;
  /** Extra delay before answering (alone, the request then runs normally). */
  latencyMs?: number;
  /** Run the request (commit it) and destroy the socket without answering. */
  dropResponseAfterCommit?: boolean;
}

/** The body of `PUT /_sandbox/faults`. */
export interface FaultConfig {
  rules: FaultRule[];
  /** Seed for the probability draws, for reproducible runs; `Math.random` when absent. */
  seed?: number;
}

/** A rule with its bookkeeping. */
export interface ActiveRule extends FaultRule {
  /** Times left (undefined = unlimited). */
  remaining?: number;
  /** Times fired so far. */
  fired: number;
}

interface CompiledRule {
  rule: ActiveRule;
  method?: string;
  regex?: RegExp;
  entity?: string;
  operation?: string;
}

/** What the injector needs to know about a request. */
export interface FaultContext {
  method: string;
  /** Path with query string, as received. */
  url: string;
  realmId?: string;
  description?: RequestDescription;
}

/** mulberry32: a tiny, good-enough seeded generator for reproducible probability draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rule set and its random source. */
export class FaultInjector {
  private rules: CompiledRule[] = [];
  private random: () => number = Math.random;
  private seed?: number;

  /** True when any rule is installed (the hot path skips matching otherwise). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /** Replaces the rules. */
  configure(config: unknown): { rules: ActiveRule[]; seed?: number } {
    const parsed = parseConfig(config);
    this.rules = parsed.rules.map(compile);
    this.seed = parsed.seed;
    this.random = parsed.seed === undefined ? Math.random : seededRandom(parsed.seed);
    return this.list();
  }

  clear(): void {
    this.rules = [];
    this.seed = undefined;
    this.random = Math.random;
  }

  list(): { rules: ActiveRule[]; seed?: number } {
    return { rules: this.rules.map((r) => structuredClone(r.rule)), seed: this.seed };
  }

  /** Finds the rule that fires for this request, consuming one of its `times`. */
  pick(ctx: FaultContext): ActiveRule | undefined {
    for (const c of this.rules) {
      const rule = c.rule;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (!matches(c, ctx)) continue;
      if (rule.probability !== undefined && rule.probability < 1 && this.random() >= rule.probability)
        continue;
      if (rule.remaining !== undefined) rule.remaining--;
      rule.fired++;
      return rule;
    }
    return undefined;
  }
}

function matches(c: CompiledRule, ctx: FaultContext): boolean {
  const m = c.rule.match;
  if (!m) return true;
  if (c.method !== undefined && c.method !== ctx.method.toUpperCase()) return false;
  if (m.path !== undefined && !ctx.url.includes(m.path)) return false;
  if (c.regex && !c.regex.test(ctx.url)) return false;
  if (m.realmId !== undefined && m.realmId !== ctx.realmId) return false;
  if (c.entity !== undefined && c.entity !== ctx.description?.entity?.toLowerCase()) return false;
  if (c.operation !== undefined && c.operation !== ctx.description?.operation.toLowerCase()) return false;
  return true;
}

function compile(rule: FaultRule): CompiledRule {
  const m = rule.match ?? {};
  return {
    rule: { ...structuredClone(rule), remaining: rule.times, fired: 0 },
    method: m.method?.toUpperCase(),
    regex: m.pathRegex !== undefined ? new RegExp(m.pathRegex) : undefined,
    entity: m.entity?.toLowerCase(),
    operation: m.operation?.toLowerCase(),
  };
}

function parseConfig(config: unknown): FaultConfig {
  if (!config || typeof config !== 'object') throw new AdminInputError('body must be {"rules": [...]}');
  const { rules, seed } = config as { rules?: unknown; seed?: unknown };
  if (!Array.isArray(rules)) throw new AdminInputError('rules must be an array');
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new AdminInputError('seed must be a number');
  }
  return { rules: rules.map((r, i) => parseRule(r, i)), seed: seed };
}

function parseRule(raw: unknown, i: number): FaultRule {
  const where = `rules[${i}]`;
  if (!raw || typeof raw !== 'object') throw new AdminInputError(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  const rule: FaultRule = {};
  if (r.match !== undefined) {
    if (!r.match || typeof r.match !== 'object')
      throw new AdminInputError(`${where}.match must be an object`);
    const match: FaultMatch = {};
    for (const [k, v] of Object.entries(r.match)) {
      if (!['method', 'path', 'pathRegex', 'entity', 'operation', 'realmId'].includes(k)) {
        throw new AdminInputError(`${where}.match.${k} is not a known field`);
      }
      if (typeof v !== 'string') throw new AdminInputError(`${where}.match.${k} must be a string`);
      match[k as keyof FaultMatch] = v;
    }
    if (match.pathRegex !== undefined) {
      try {
        new RegExp(match.pathRegex);
      } catch {
        throw new AdminInputError(`${where}.match.pathRegex is not a valid regular expression`);
      }
    }
    rule.match = match;
  }
  if (r.times !== undefined) {
    if (typeof r.times !== 'number' || !Number.isInteger(r.times) || r.times < 0) {
      throw new AdminInputError(`${where}.times must be a non-negative integer`);
    }
    rule.times = r.times;
  }
  if (r.probability !== undefined) {
    if (typeof r.probability !== 'number' || r.probability < 0 || r.probability > 1) {
      throw new AdminInputError(`${where}.probability must be between 0 and 1`);
    }
    rule.probability = r.probability;
  }
  if (r.latencyMs !== undefined) {
    if (typeof r.latencyMs !== 'number' || !Number.isFinite(r.latencyMs) || r.latencyMs < 0) {
      throw new AdminInputError(`${where}.latencyMs must be >= 0`);
    }
    rule.latencyMs = r.latencyMs;
  }
  if (r.dropResponseAfterCommit !== undefined) {
    if (typeof r.dropResponseAfterCommit !== 'boolean') {
      throw new AdminInputError(`${where}.dropResponseAfterCommit must be a boolean`);
    }
    rule.dropResponseAfterCommit = r.dropResponseAfterCommit;
  }
  if (r.respond !== undefined) {
    const p = r.respond as Record<string, unknown>;
    if (!p || typeof p !== 'object') throw new AdminInputError(`${where}.respond must be an object`);
    if (typeof p.status !== 'number' || !Number.isInteger(p.status) || p.status < 100 || p.status > 599) {
      throw new AdminInputError(`${where}.respond.status must be an HTTP status`);
    }
    const code = typeof p.code === 'number' ? String(p.code) : p.code;
    if (typeof code !== 'string' || code.length === 0)
      throw new AdminInputError(`${where}.respond.code is required`);
    for (const k of ['message', 'detail', 'type'] as const) {
      if (p[k] !== undefined && typeof p[k] !== 'string')
        throw new AdminInputError(`${where}.respond.${k} must be a string`);
    }
    if (p.format !== undefined && p.format !== 'json' && p.format !== 'xml' && p.format !== 'html') {
      throw new AdminInputError(`${where}.respond.format must be json, xml or html`);
    }
    rule.respond = {
      status: p.status,
      code,
      message: p.message as string | undefined,
      detail: p.detail as string | undefined,
      type: p.type as string | undefined,
      format: p.format,
    };
  }
  if (rule.respond && rule.dropResponseAfterCommit) {
    throw new AdminInputError(`${where} cannot both respond and dropResponseAfterCommit`);
  }
  if (!rule.respond && !rule.dropResponseAfterCommit && rule.latencyMs === undefined) {
    throw new AdminInputError(`${where} needs respond, latencyMs or dropResponseAfterCommit`);
  }
  return rule;
}
