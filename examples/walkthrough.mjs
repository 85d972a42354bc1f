#!/usr/bin/env node
/**
 * Runs the README's API walkthrough against a running gateway: every GraphQL operation of README.md, in the order
 * written there, exactly as written. Ids travel from one operation to the next through GraphQL variables of the same
 * name (OUTPUTS below says where each comes from), the way a person copies them by hand.
 *
 *   npm start                         # in another terminal (local mode: the emulator's demo company)
 *   node examples/walkthrough.mjs     # GATEWAY_URL (default http://localhost:4000), API_KEY (default: ./data/demo-api-key)
 *
 * `npm test` runs it too (test/docs/readme.test.ts), so the README cannot drift from the API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const url = (process.env.GATEWAY_URL ?? 'http://localhost:4000').replace(/\/+$/, '');
const key = process.env.API_KEY || readDemoKey();

/** Where each variable comes from: operation name → variable → path in that operation's `data` (`*` = every item). */
const OUTPUTS = {
  Connect: { connectionId: 'connect.connection.id', authorizationUrl: 'connect.authorizationUrl' },
  LatestBatch: { batchId: 'batches.edges.0.node.id' },
  IncomeAccount: { incomeAccountId: 'connection.referenceData.edges.0.node.quickbooksId' },
  UpsertOrders: { orderIds: 'upsertOrders.orders.*.id', orderId: 'upsertOrders.orders.0.id' },
  PostOrders: { batchId: 'postOrders.id' },
  CreateInvoice: { invoiceId: 'createInvoice.id' },
  SendInvoice: { batchId: 'sendInvoice.id' },
  RecordPayments: { batchId: 'recordPayments.id' },
  EmailInvoices: { batchId: 'emailInvoices.id' },
  ExportToQuickBooks: { batchId: 'exportToQuickBooks.id' },
  UpsertCustomers: { batchId: 'upsertCustomers.batch.id' },
  SyncWizard: { pendingIds: 'pendingEntities.edges.*.node.id' },
  ApproveEntities: { batchId: 'approveEntities.batch.id' },
};

/** What the person does between two operations. */
const AFTER = {
  // The person approves on QuickBooks' consent page. With the emulator, `sandbox_consent=approve` does it at once;
  // against Intuit, open the printed URL and approve, and the walkthrough waits for the connection.
  Connect: approveConsent,
};

function readDemoKey() {
  const file = path.join(process.cwd(), 'data', 'demo-api-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  throw new Error('Set API_KEY (or run from the folder where `npm start` wrote data/demo-api-key)');
}

/** Every operation of every ```graphql block of the README, in order. */
export function readmeOperations(readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')) {
  const blocks = [...readme.matchAll(/^```graphql\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  return blocks.flatMap((block) =>
    parse(block).definitions.map((definition) => {
      if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.name)
        throw new Error(`README operations must be named:\n${print(definition)}`);
      return {
        name: definition.name.value,
        type: definition.operation,
        variables: (definition.variableDefinitions ?? []).map((v) => v.variable.name.value),
        document: print(definition),
      };
    }),
  );
}

async function graphql(document, variables) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: document, variables }),
  });
  return response.json();
}

/** Follows a subscription to its end, printing each event. */
function subscribe(document, variables) {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
  const events = [];
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query: document, variables },
      {
        next: (value) =>
          value.errors ? reject(new Error(JSON.stringify(value.errors))) : events.push(value),
        error: reject,
        complete: resolve,
      },
    );
  }).then(
    async () => {
      await client.dispose();
      return { data: events.at(-1)?.data, events: events.length };
    },
    async (error) => {
      await client.dispose();
      throw error;
    },
  );
}

function pick(data, dotted) {
  const walk = (value, parts) => {
    if (parts.length === 0) return value;
    const [head, ...rest] = parts;
    if (head === '*') return (value ?? []).map((item) => walk(item, rest));
    return walk(value?.[head], rest);
  };
  return walk(data, dotted.split('.'));
}

async function approveConsent(bag) {
  const consent = new URL(bag.authorizationUrl);
  consent.searchParams.set('sandbox_consent', 'approve');
  const answer = await fetch(consent, { redirect: 'manual' });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || !location) {
    console.log(`Open this URL and approve the connection:\n  ${bag.authorizationUrl}`);
  } else {
    // The redirect names the configured redirect URI; deliver it to this gateway.
    const callback = new URL(location);
    await fetch(`${url}${callback.pathname}${callback.search}`, { headers: { accept: 'application/json' } });
  }
  for (let i = 0; i < 600; i++) {
    const { data } = await graphql('query($id: ID!) { connection(id: $id) { status } }', {
      id: bag.connectionId,
    });
    if (data?.connection?.status === 'CONNECTED') return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the connection did not become CONNECTED');
}

export async function run() {
  const bag = {};
  for (const operation of readmeOperations()) {
    const variables = {};
    for (const name of operation.variables) {
      if (!(name in bag))
        throw new Error(`README operation ${operation.name} needs $${name}: add it to OUTPUTS`);
      variables[name] = bag[name];
    }
    const result =
      operation.type === 'subscription'
        ? await subscribe(operation.document, variables)
        : await graphql(operation.document, variables);
    if (result.errors) throw new Error(`${operation.name}: ${JSON.stringify(result.errors)}`);
    for (const [name, dotted] of Object.entries(OUTPUTS[operation.name] ?? {})) {
      const value = pick(result.data, dotted);
      if (value === undefined || value === null) throw new Error(`${operation.name}: nothing at ${dotted}`);
      bag[name] = value;
    }
    console.log(`${operation.name}: ${JSON.stringify(result.data)}`);
    await AFTER[operation.name]?.(bag);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
