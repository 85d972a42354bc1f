/**
 * GraphiQL, bundled (no CDN): served by the gateway to a browser's GET of /graphql. The Authorization header is
 * prefilled from the console's session (same origin); subscriptions run over graphql-ws with the header's key.
 */
import { Kind, OperationTypeNode, parse, type DocumentNode } from 'graphql';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws/client';
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { session, websocketUrl } from '../src/lib/session';
import './graphiql.css';

const key = session.apiKey();
const headers = JSON.stringify(
  { authorization: `Bearer ${key ?? '<your API key: sign in to /console first>'}` },
  null,
  2,
);

const http = createGraphiQLFetcher({ url: '/graphql', enableIncrementalDelivery: false });
/** One WebSocket per Authorization value, so editing the header switches keys. */
const sockets = new Map<string, Client>();

/** GraphiQL passes the parsed document when it has one; otherwise parse it here (a bad one goes to HTTP and its errors). */
function documentOf(query: string, parsed: DocumentNode | undefined): DocumentNode | undefined {
  if (parsed) return parsed;
  try {
    return parse(query);
  } catch {
    return undefined;
  }
}

const fetcher: Fetcher = (params, options) => {
  const subscription = documentOf(params.query, options?.documentAST)?.definitions.some(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      definition.operation === OperationTypeNode.SUBSCRIPTION &&
      (!params.operationName || definition.name?.value === params.operationName),
  );
  if (!subscription) return http(params, options);
  const authorization = String(options?.headers?.authorization ?? options?.headers?.Authorization ?? '');
  let socket = sockets.get(authorization);
  if (!socket) {
    socket = createClient({ url: websocketUrl(), connectionParams: { authorization }, lazy: true });
    sockets.set(authorization, socket);
  }
  // graphql-ws yields formatted results (errors as plain objects), which is what GraphiQL renders; only the
  // toolkit's type says GraphQLError.
  const results = socket.iterate({
    query: params.query,
    operationName: params.operationName,
    variables: params.variables,
  });
  return results as unknown as ReturnType<Fetcher>;
};

const DEFAULT_QUERY = `# The gateway's API: see the Docs panel, or spec/gateway.graphql.
# Queries need READ, mutations WRITE, connection lifecycle ADMIN.
query Me {
  viewer {
    tenantName
    scopes
  }
  connections {
    id
    name
    status
    companyName
  }
}
`;

// Shareable links: /graphql?query=...&variables=... opens that operation in a new tab.
const params = new URLSearchParams(location.search);

createRoot(document.getElementById('graphiql')!).render(
  <GraphiQL
    fetcher={fetcher}
    initialQuery={params.get('query') ?? undefined}
    initialVariables={params.get('variables') ?? undefined}
    initialHeaders={headers}
    defaultHeaders={headers}
    defaultQuery={DEFAULT_QUERY}
    shouldPersistHeaders={false}
  />,
);
