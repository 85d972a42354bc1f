import { createContext, useContext } from 'react';
import type { ApiScope } from '../gql/graphql';

export interface ViewerInfo {
  tenantName: string;
  scopes: readonly ApiScope[];
}

export const ViewerContext = createContext<ViewerInfo>({ tenantName: '', scopes: [] });

/** Whether the signed-in key may do this (ADMIN implies WRITE implies READ, as on the server). */
export function useCan(scope: ApiScope): boolean {
  const { scopes } = useContext(ViewerContext);
  const rank: Record<ApiScope, number> = { READ: 1, WRITE: 2, ADMIN: 3 };
  return scopes.some((s) => rank[s] >= rank[scope]);
}
