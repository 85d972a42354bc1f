import { Suspense, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Provider, useQuery } from 'urql';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { BatchTrackerProvider } from './components/batch-tracker';
import { Problems } from './components/problems';
import { ViewerDocument } from './gql/graphql';
import { createGatewayClient } from './lib/client';
import { isUnauthenticated } from './lib/errors';
import { markInteractive } from './lib/interactive';
import { session } from './lib/session';
import { ViewerContext } from './lib/viewer';
import { availableScreens } from './screens/registry';

/** Signed out: the key form. Signed in: the console, talking to the gateway with that key. */
export function App() {
  const [apiKey, setApiKey] = useState(() => session.apiKey());
  const [notice, setNotice] = useState('');
  const gateway = useMemo(() => (apiKey ? createGatewayClient(apiKey) : null), [apiKey]);
  useEffect(() => () => gateway?.dispose(), [gateway]);
  const signOut = (message = '') => {
    session.signOut();
    setNotice(message);
    setApiKey(null);
  };
  if (!gateway) {
    return (
      <SignIn
        notice={notice}
        onSignIn={(key) => {
          session.signIn(key);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <Provider value={gateway.client}>
      <Shell onSignOut={signOut} />
    </Provider>
  );
}

function SignIn({ notice, onSignIn }: { notice: string; onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  useEffect(markInteractive, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) onSignIn(key.trim());
  };
  return (
    <main className="sign-in">
      <h1>QuickBooks Gateway</h1>
      <form onSubmit={submit} className="card" aria-labelledby="sign-in-heading">
        <h2 id="sign-in-heading">Sign in with an API key</h2>
        <p>
          The key stays in this browser tab only (session storage) and is sent with every request.{' '}
          <code>npm start</code> prints a demo key; <code>npm run cli -- api-key create</code> makes others.
        </p>
        {notice ? <Problems problems={[{ message: notice }]} /> : null}
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            autoFocus
            value={key}
            onChange={(event) => setKey(event.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut: (message?: string) => void }) {
  const [{ data, error }] = useQuery({ query: ViewerDocument });
  const [location] = useLocation();
  const graphiql = useGraphiqlAvailable();
  useEffect(() => {
    if (isUnauthenticated(error)) onSignOut('The gateway did not accept that API key.');
  }, [error, onSignOut]);
  const screens = availableScreens();
  const viewer = useMemo(
    () => ({ tenantName: data?.viewer.tenantName ?? '', scopes: data?.viewer.scopes ?? [] }),
    [data],
  );
  return (
    <ViewerContext.Provider value={viewer}>
      <BatchTrackerProvider>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="top">
          <span className="brand">QuickBooks Gateway</span>
          <nav aria-label="Main">
            <ul>
              {screens
                .filter((screen) => screen.nav)
                .map((screen) => {
                  const current = screen.section ? screen.section.test(location) : location === screen.path;
                  const Badge = screen.navBadge;
                  return (
                    <li key={screen.path}>
                      <Link href={screen.path} aria-current={current ? 'page' : undefined}>
                        {screen.nav}
                        {Badge ? <Badge /> : null}
                      </Link>
                    </li>
                  );
                })}
            </ul>
          </nav>
          <div className="who">
            {viewer.tenantName ? <span>Tenant {viewer.tenantName}</span> : null}
            {graphiql ? <a href="/graphql">GraphiQL</a> : null}
            <button type="button" onClick={() => onSignOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {error && !isUnauthenticated(error) ? <Problems error={error} /> : null}
          <Suspense fallback={<p aria-busy="true">Loading…</p>}>
            <Switch>
              {screens.map((screen) => (
                <Route key={screen.path} path={screen.path} component={screen.component} />
              ))}
              <Route path="/">
                <Redirect to="/connections" replace />
              </Route>
              <Route>
                <h1>Not found</h1>
                <p>
                  There is no such screen. <Link href="/connections">Go to Connections</Link>.
                </p>
              </Route>
            </Switch>
          </Suspense>
        </main>
      </BatchTrackerProvider>
    </ViewerContext.Provider>
  );
}

/** GraphiQL is served at /graphql unless it is turned off (production without GRAPHIQL=true). */
function useGraphiqlAvailable(): boolean {
  const [available, setAvailable] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    fetch('/console/config.json', { signal: abort.signal })
      .then((response) => response.json() as Promise<{ graphiql?: boolean }>)
      .then((config) => setAvailable(config.graphiql === true))
      .catch(() => setAvailable(false));
    return () => abort.abort();
  }, []);
  return available;
}
