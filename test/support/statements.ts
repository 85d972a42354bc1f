import type { EntitySubscriberInterface } from 'typeorm';
import type { TestGateway } from './gateway';

/** Counts SQL statements through TypeORM's query events while `work` runs. */
export async function countStatements<T>(
  t: TestGateway,
  work: () => Promise<T>,
): Promise<{ result: T; statements: number }> {
  let statements = 0;
  const counter: EntitySubscriberInterface = {
    beforeQuery: () => {
      statements += 1;
    },
  };
  const subscribers = t.gateway.dataSource.subscribers;
  subscribers.push(counter);
  try {
    const result = await work();
    return { result, statements };
  } finally {
    subscribers.splice(subscribers.indexOf(counter), 1);
  }
}
