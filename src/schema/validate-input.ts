import { validate } from 'class-validator';
import { getNamedType } from 'graphql';
import type { ResolverData } from 'type-graphql';
import { AppError } from '../errors';
import { illFormedPaths } from '../well-formed';
import { flattenValidation } from './format-error';

/** Argument sets already checked for ill-formed text (the validator runs once per argument, the check once per field). */
const checkedArgs = new WeakSet<object>();

/**
 * type-graphql's validator for every argument: class-validator rules on input classes, reported as BAD_USER_INPUT
 * with full field paths (`orders.3.lines.0.quantity`) and the rule broken, never the value. The stock validator
 * loses both the argument name and array indexes, which are what a partner needs to find the bad order.
 */
export async function validateInput(
  argValue: unknown,
  argType: unknown,
  resolverData: ResolverData,
): Promise<void> {
  refuseIllFormedText(resolverData.args);
  if (argValue === null || typeof argValue !== 'object' || argValue instanceof Date) return;
  const name = argumentName(argType, resolverData);
  const entries: Array<[string, unknown]> = Array.isArray(argValue)
    ? argValue.map((value, index) => [`${name}.${index}`, value])
    : [[name, argValue]];
  const problems: Array<{ field: string; rule: string }> = [];
  for (const [path, value] of entries) {
    if (value === null || typeof value !== 'object') continue;
    const errors = await validate(value, {
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
    });
    problems.push(...flattenValidation(errors, path));
  }
  if (problems.length > 0) {
    throw new AppError(
      'BAD_USER_INPUT',
      `Invalid input: ${problems.map((p) => `${p.field} ${p.rule}`).join('; ')}`,
      {
        field: problems[0].field,
        extensions: { fields: problems },
      },
    );
  }
}

/**
 * The argument's name, found by its GraphQL input type among the field's arguments (the validator receives a
 * converted copy of the value, so it cannot be found by identity). `@Args` classes have no argument name: their
 * fields are top-level arguments, so their paths start at the field.
 */
function argumentName(argType: unknown, { info }: ResolverData): string {
  const typeName = typeof argType === 'function' ? (argType as { name: string }).name : undefined;
  const field = info.parentType.getFields()[info.fieldName];
  const matches = field?.args.filter((arg) => getNamedType(arg.type).name === typeName) ?? [];
  return matches.length === 1 ? matches[0].name : 'input';
}

/**
 * Every string of every argument (JSON values and their keys included) must be well-formed Unicode: a lone surrogate
 * cannot reach QuickBooks (it cannot be put in a URL) and would block the batch it lands in.
 */
function refuseIllFormedText(args: Record<string, unknown> | undefined): void {
  if (!args || checkedArgs.has(args)) return;
  checkedArgs.add(args);
  const paths = illFormedPaths(args, '');
  if (paths.length === 0) return;
  const rule = 'must be well-formed Unicode text (it holds a lone surrogate)';
  throw new AppError(
    'BAD_USER_INPUT',
    `Invalid input: ${paths.map((field) => `${field} ${rule}`).join('; ')}`,
    {
      field: paths[0],
      extensions: { fields: paths.map((field) => ({ field, rule })) },
    },
  );
}
