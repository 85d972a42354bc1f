import express from 'express';
import request from 'supertest';
import { metricsHandler } from '../../src/http/metrics-endpoint';
import { Metrics, contractOperations, operationLabel } from '../../src/metrics';
import { createSchema } from '../../src/schema/build-schema';
import { parse, type OperationDefinitionNode } from 'graphql';

const appWith = (options: { token?: string; open: boolean }) =>
  express().get('/metrics', metricsHandler(new Metrics(false), options));

describe('/metrics exposure', () => {
  it('answers 403 outside local mode when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    const response = await request(appWith({ open: false })).get('/metrics');
    expect(response.status).toBe(403);
    expect(response.body.errors[0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      hint: expect.stringMatching(/METRICS_TOKEN/),
    });
  });

  it('needs the bearer token when one is set, even where it would be open', async () => {
    const app = appWith({ token: 'a-long-enough-metrics-token', open: true });
    expect((await request(app).get('/metrics')).status).toBe(401);
    expect((await request(app).get('/metrics').set('authorization', 'Bearer wrong')).status).toBe(401);
    const ok = await request(app).get('/metrics').set('authorization', 'Bearer a-long-enough-metrics-token');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('graphql_operation_duration_seconds');
  });
});

describe('operationLabel', () => {
  const contract = contractOperations(createSchema());
  const label = (query: string) =>
    operationLabel(parse(query).definitions[0] as OperationDefinitionNode, contract);

  it('names the contract operation, whatever the client calls it', () => {
    expect(label('query AnythingAtAll { orders { totalCount } }')).toBe('orders');
    expect(
      label('mutation X { upsertOrders(connectionId: "c", channel: "s", orders: []) { created } }'),
    ).toBe('upsertOrders');
    expect(label('{ a: viewer { tenantId } b: orders { totalCount } }')).toBe('multiple');
    expect(label('{ __schema { queryType { name } } }')).toBe('introspection');
    expect(label('{ __typename }')).toBe('other');
    expect(label('{ ...F } fragment F on Query { viewer { tenantId } }')).toBe('other');
    expect(operationLabel(undefined, contract)).toBe('other');
  });
});
