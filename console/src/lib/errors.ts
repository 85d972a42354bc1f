import type { CombinedError } from 'urql';

/** One problem as a person should read it: what went wrong and what to do next. */
export interface Problem {
  message: string;
  hint?: string | null;
  code?: string | null;
  /** The input field at fault (BAD_USER_INPUT), e.g. "input.incomeAccountId". */
  field?: string;
}

/** The gateway's errors carry extensions.code, .hint and .field; network failures become one problem. */
export function problemsOf(error: CombinedError | undefined): Problem[] {
  if (!error) return [];
  if (error.networkError && error.graphQLErrors.length === 0) {
    return [{ message: 'The gateway did not answer.', hint: 'Check that it is running, then try again.' }];
  }
  return error.graphQLErrors.map((e) => ({
    message: e.message,
    hint: typeof e.extensions.hint === 'string' ? e.extensions.hint : undefined,
    code: typeof e.extensions.code === 'string' ? e.extensions.code : undefined,
    field: typeof e.extensions.field === 'string' ? e.extensions.field : undefined,
  }));
}

export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return problemsOf(error).some((p) => p.code === 'UNAUTHENTICATED');
}
