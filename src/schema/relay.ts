import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Page } from '../services/pagination';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface EdgeShape<T> {
  cursor: string;
  node: T;
}
export interface ConnectionShape<T> {
  edges: Array<EdgeShape<T>>;
  pageInfo: PageInfo;
  totalCount: number;
}

/** Declares `<Name>Edge` and `<Name>Connection` for a node type (Relay connection spec). */
export function RelayConnection<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor!: string;
    @Field(() => nodeType) node!: T;
  }
  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => Int) totalCount!: number;
  }
  return Connection as ClassType<ConnectionShape<T>>;
}

/** Maps a service page onto the connection shape, converting each node. */
export function toConnection<S, T>(page: Page<S>, map: (node: S) => T): ConnectionShape<T> {
  return {
    edges: page.nodes.map((node, index) => ({ cursor: page.cursors[index], node: map(node) })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors[page.cursors.length - 1] ?? null,
    },
    totalCount: page.totalCount,
  };
}
