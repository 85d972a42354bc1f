import { Kind, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one gateway instance (a registry per instance, so tests can run several). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly graphqlDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operation durations by operation type, contract operation (root field) and outcome',
    labelNames: ['type', 'operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly quickbooksCalls = new Counter({
    name: 'quickbooks_calls_total',
    help: 'HTTP calls made to QuickBooks by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(collectDefaults = true) {
    if (collectDefaults) collectDefaultMetrics({ register: this.registry });
  }
}

/** The `operation` label of an operation when it is none of the contract's. */
export const OTHER_OPERATION = 'other';

/**
 * The `operation` label: the contract operation (root field) an operation calls, so label values are bounded by the
 * schema whatever operation names clients send. Several root fields are `multiple`, introspection is
 * `introspection`, anything else (unparsable, unknown, fragments at the root) is `other`.
 */
export function operationLabel(
  operation: OperationDefinitionNode | undefined,
  contractOperations: ReadonlySet<string>,
): string {
  if (!operation) return OTHER_OPERATION;
  const names = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return OTHER_OPERATION;
    if (selection.name.value !== '__typename') names.add(selection.name.value);
  }
  const fields = [...names];
  if (fields.length > 0 && fields.every((name) => name === '__schema' || name === '__type'))
    return 'introspection';
  if (fields.length > 1) return 'multiple';
  return fields.length === 1 && contractOperations.has(fields[0]) ? fields[0] : OTHER_OPERATION;
}

/** Every root field of the schema: the values `operationLabel` may return besides the fixed ones. */
export function contractOperations(schema: GraphQLSchema): Set<string> {
  return new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((root) =>
      root ? Object.keys(root.getFields()) : [],
    ),
  );
}
