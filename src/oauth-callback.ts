import type { AuthorizationOutcome } from './services/connections/connection.service';

const escape = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The small page a person sees after approving (or declining) access in QuickBooks. */
export function renderAuthorizationPage(outcome: AuthorizationOutcome): string {
  const title = outcome.ok ? 'Connected to QuickBooks' : 'Not connected';
  const details = [
    outcome.companyName ? `<dt>Company</dt><dd>${escape(outcome.companyName)}</dd>` : '',
    outcome.realmId ? `<dt>Company id</dt><dd>${escape(outcome.realmId)}</dd>` : '',
    outcome.connectionId ? `<dt>Connection</dt><dd><code>${escape(outcome.connectionId)}</code></dd>` : '',
    outcome.importBatchId
      ? `<dt>Import batch</dt><dd><code>${escape(outcome.importBatchId)}</code></dd>`
      : '',
  ].join('');
  // Back to the console's page of this connection, which follows the import the callback started.
  const back = outcome.connectionId
    ? `/console/connections/${encodeURIComponent(outcome.connectionId)}` +
      (outcome.importBatchId ? `?import=${encodeURIComponent(outcome.importBatchId)}` : '')
    : '/console/connections';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{color:${outcome.ok ? '#2c7a2c' : '#a33'}}dt{font-weight:600}dd{margin:0 0 .5rem}</style></head>
<body><h1>${title}</h1><p>${escape(outcome.message)}</p>${details ? `<dl>${details}</dl>` : ''}
<p><a href="${escape(back)}">Back to the console</a> or close this window.</p></body></html>`;
}
