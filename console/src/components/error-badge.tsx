import { useId } from 'react';

export interface BadgeError {
  code?: string | null;
  message: string;
  hint?: string | null;
}

/**
 * WindingFlow's error badge: a "Failed" button whose tooltip (on hover and on keyboard focus) gives QuickBooks' full
 * message, its code and what to do. The tooltip describes the button (aria-describedby), so screen readers read it too.
 */
export function ErrorBadge({ error, label = 'Failed' }: { error: BadgeError; label?: string }) {
  const id = useId();
  return (
    <span className="error-badge">
      <button type="button" className="badge badge-bad" aria-describedby={id}>
        {label}
      </button>
      <span role="tooltip" id={id} className="tooltip">
        <strong>{error.message}</strong>
        {error.code ? <span className="code"> ({error.code})</span> : null}
        {error.hint ? <em className="hint"> {error.hint}</em> : null}
      </span>
    </span>
  );
}
