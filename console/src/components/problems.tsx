import type { CombinedError } from 'urql';
import { problemsOf, type Problem } from '../lib/errors';

/** Errors as an alert: the message, and what to do next when the gateway says. */
export function Problems({ error, problems }: { error?: CombinedError; problems?: Problem[] }) {
  const list = problems ?? problemsOf(error);
  if (list.length === 0) return null;
  return (
    <div className="notice notice-error" role="alert">
      {list.map((problem, i) => (
        <p key={i}>
          <strong>{problem.message}</strong>
          {problem.code ? <span className="code"> ({problem.code})</span> : null}
          {problem.hint ? <span className="hint"> {problem.hint}</span> : null}
        </p>
      ))}
    </div>
  );
}
