import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';

/** ISO-8601 date-time in UTC. */
export const DateTimeScalar = DateTimeResolver;
/** A JSON object, as QuickBooks returned it. */
export const JSONObjectScalar = JSONObjectResolver;

const DECIMAL = /^-?\d{1,16}(\.\d{1,6})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function stringScalar(name: string, description: string, check: (value: string) => boolean, rule: string) {
  // Strings only: a JSON number has already passed through a float, so "0.1 + 0.2" cents could be lost before we see it.
  const parse = (value: unknown): string => {
    if (typeof value !== 'string' || !check(value)) throw new GraphQLError(`${name} must be ${rule}`);
    return value;
  };
  return new GraphQLScalarType<string, string>({
    name,
    description,
    serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value)),
    parseValue: parse,
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be ${rule}`);
      return parse(ast.value);
    },
  });
}

/** Money and quantities as exact decimal strings ("1234.50"), on input and output alike. */
export const DecimalScalar = stringScalar(
  'Decimal',
  'An exact decimal number written as a string, such as "1234.50". Never a float.',
  (value) => DECIMAL.test(value),
  'a decimal number written as a string such as "1234.50"',
);

/** A calendar date, YYYY-MM-DD. */
export const DateScalar = stringScalar(
  'Date',
  'A calendar date, YYYY-MM-DD.',
  (value) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)),
  'a date written YYYY-MM-DD',
);
