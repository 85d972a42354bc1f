import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputField,
} from 'graphql';
import { createSchema } from '../../src/schema/build-schema';

const CONTRACT = path.join(__dirname, '..', '..', 'spec', 'gateway.graphql');

/**
 * Parts of the contract that later issues build (invoices, export, the sync wizard, retry). Everything else must
 * exist with exactly the contract's types, arguments and defaults. Shrink this list as they land; never grow it.
 */
const NOT_YET_BUILT = new Set<string>([]);

describe('the API contract (spec/gateway.graphql)', () => {
  it('is implemented without renaming, retyping or dropping anything', () => {
    const contract = buildSchema(fs.readFileSync(CONTRACT, 'utf8'));
    const ours = createSchema();
    const problems: string[] = [];
    for (const type of Object.values(contract.getTypeMap())) {
      if (type.name.startsWith('__') || NOT_YET_BUILT.has(type.name)) continue;
      const mine = ours.getType(type.name);
      if (!mine) {
        problems.push(`missing type ${type.name}`);
        continue;
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) {
          if (!isEnumType(mine) || !mine.getValue(value.name))
            problems.push(`missing enum value ${type.name}.${value.name}`);
        }
        continue;
      }
      if (!isObjectType(type) && !isInterfaceType(type) && !isInputObjectType(type)) continue;
      const myFields = (mine as typeof type).getFields() as Record<
        string,
        GraphQLField<unknown, unknown> | GraphQLInputField
      >;
      for (const [name, field] of Object.entries(
        type.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>,
      )) {
        const where = `${type.name}.${name}`;
        if (NOT_YET_BUILT.has(where)) continue;
        const my = myFields[name];
        if (!my) {
          problems.push(`missing field ${where}`);
          continue;
        }
        if (String(my.type) !== String(field.type))
          problems.push(`${where}: ${String(field.type)} became ${String(my.type)}`);
        if (
          'defaultValue' in field &&
          JSON.stringify((my as GraphQLInputField).defaultValue) !== JSON.stringify(field.defaultValue)
        ) {
          problems.push(
            `${where}: default ${JSON.stringify(field.defaultValue)} became ${JSON.stringify((my as GraphQLInputField).defaultValue)}`,
          );
        }
        for (const arg of 'args' in field ? field.args : []) {
          const mine = (my as GraphQLField<unknown, unknown>).args.find((a) => a.name === arg.name);
          if (!mine) problems.push(`missing argument ${where}(${arg.name})`);
          else if (
            String(mine.type) !== String(arg.type) ||
            JSON.stringify(mine.defaultValue) !== JSON.stringify(arg.defaultValue)
          ) {
            problems.push(
              `${where}(${arg.name}): ${String(arg.type)} = ${JSON.stringify(arg.defaultValue)} became ${String(mine.type)} = ${JSON.stringify(mine.defaultValue)}`,
            );
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
