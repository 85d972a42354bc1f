/**
 * The bare baseline of `bench/api`: the orders page of the contract (orders with customer, lines, connection and
 * last error) served by graphql-js alone — a `node:http` server, `parse` + `validate` + `execute` on every request
 * (no document cache), resolvers over the same SQL the gateway sends, through mysql2 (or better-sqlite3 on SQLite)
 * directly: no framework, no authentication, no validation of outputs, no per-request context beyond one loader.
 * What the gateway is measured against.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, execute, parse, validate, type GraphQLScalarType } from 'graphql';
import { createPool } from 'mysql2/promise';
import { DataSource } from 'typeorm';

const SDL = /* GraphQL */ `
  scalar DateTime
  scalar Decimal
  type Query {
    orders(first: Int = 50, after: String): OrderConnection!
  }
  type OrderConnection {
    edges: [OrderEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type OrderEdge {
    cursor: String!
    node: Order!
  }
  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
  type Order {
    id: ID!
    channel: String!
    externalId: String!
    orderNumber: String!
    orderDate: DateTime!
    currency: String!
    status: String!
    total: Decimal!
    customer: OrderCustomer!
    lines: [OrderLine!]!
    connection: Connection!
    lastError: SyncError
  }
  type OrderCustomer {
    name: String!
    email: String
  }
  type OrderLine {
    sku: String
    name: String!
    quantity: Decimal!
    unitPrice: Decimal!
    amount: Decimal!
    taxable: Boolean!
  }
  type Connection {
    id: ID!
    name: String!
    status: String!
    realmId: String
  }
  type SyncError {
    code: String
    message: String!
    hint: String
  }
`;

type Query = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

export interface Baseline {
  url: string;
  close(): Promise<void>;
}

const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const cursor = (id: string): string => Buffer.from(`c:${id}`).toString('base64url');
const asDate = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : new Date(`${String(value).replace(' ', 'T')}Z`).toISOString();

/** Starts the baseline on `databaseUrl` (mysql://… or sqlite:<file>); every request is for `tenantId`. */
export async function startBaseline(databaseUrl: string, tenantId: string): Promise<Baseline> {
  let query: Query;
  let closeDatabase: () => Promise<void>;
  if (databaseUrl.startsWith('sqlite:')) {
    // better-sqlite3 through TypeORM's driver (a connection of its own, no entities): `query` is a prepared
    // statement and `all`, nothing more.
    const db = new DataSource({ type: 'better-sqlite3', database: databaseUrl.slice('sqlite:'.length) });
    await db.initialize();
    query = (sql, params) => db.query(sql, params);
    closeDatabase = () => db.destroy();
  } else {
    const pool = createPool({ uri: databaseUrl, connectionLimit: 20, timezone: 'Z' });
    query = async (sql, params) => (await pool.query(sql, params))[0] as Array<Record<string, unknown>>;
    closeDatabase = () => pool.end();
  }

  const schema = buildSchema(SDL);
  (schema.getType('DateTime') as GraphQLScalarType).serialize = asDate;
  (schema.getType('Decimal') as GraphQLScalarType).serialize = (value) =>
    typeof value === 'number' ? value.toFixed(2) : String(value);

  const rootValue = {
    orders: async ({ first, after }: { first: number; after?: string }) => {
      const [{ count }] = await query('SELECT COUNT(*) AS count FROM `orders` WHERE `tenantId` = ?', [
        tenantId,
      ]);
      const afterId = after ? Buffer.from(after, 'base64url').toString('utf8').slice(2) : null;
      const rows = await query(
        'SELECT `id`, `connectionId`, `channel`, `externalId`, `orderNumber`, `orderDate`, `currency`, `status`, ' +
          '`total`, `customer`, `lines`, `lastError` FROM `orders` WHERE `tenantId` = ?' +
          (afterId ? ' AND `id` < ?' : '') +
          ' ORDER BY `id` DESC LIMIT ?',
        afterId ? [tenantId, afterId, first + 1] : [tenantId, first + 1],
      );
      const nodes = rows.slice(0, first);
      // The connections of the page in one statement, as a DataLoader would.
      const connectionIds = [...new Set(nodes.map((row) => row.connectionId as string))];
      const connections = new Map(
        connectionIds.length
          ? (
              await query(
                `SELECT \`id\`, \`name\`, \`status\`, \`realmId\` FROM \`connections\` WHERE \`tenantId\` = ? AND \`id\` IN (${connectionIds.map(() => '?').join(', ')})`,
                [tenantId, ...connectionIds],
              )
            ).map((row) => [row.id as string, row])
          : [],
      );
      return {
        totalCount: Number(count),
        pageInfo: {
          hasNextPage: rows.length > first,
          hasPreviousPage: Boolean(after),
          startCursor: nodes.length ? cursor(nodes[0].id as string) : null,
          endCursor: nodes.length ? cursor(nodes[nodes.length - 1].id as string) : null,
        },
        edges: nodes.map((row) => ({
          cursor: cursor(row.id as string),
          node: {
            ...row,
            customer: json(row.customer),
            lines: json(row.lines),
            lastError: json(row.lastError),
            connection: connections.get(row.connectionId as string),
          },
        })),
      };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          query: string;
          variables?: Record<string, unknown>;
        };
        const document = parse(body.query);
        const errors = validate(schema, document);
        const result = errors.length
          ? { errors }
          : await execute({ schema, document, rootValue, variableValues: body.variables });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      })().catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeDatabase();
    },
  };
}
