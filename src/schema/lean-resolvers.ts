import { isObjectType, type GraphQLSchema } from 'graphql';
import { Extensions } from 'type-graphql';

const LEAN = 'leanResolver';

interface LeanTarget {
  resolver: Function;
  method: string;
}

/**
 * Marks a field resolver of the shape `(root, context)` (no arguments, no scope, no middleware) to be called
 * directly by graphql-js. type-graphql's wrapper costs, for every object of a page, an instance of the type class
 * copied from the root, a sort of the parameters and a chain of promises; for `Order.connection` on a page of 100
 * orders that was measurable (bench/api). Fields with arguments keep the wrapper: it validates them.
 */
export function Lean(): MethodDecorator {
  return (target, key, descriptor) =>
    Extensions({ [LEAN]: { resolver: target.constructor, method: String(key) } satisfies LeanTarget })(
      target,
      key,
      descriptor,
    );
}

/** Points every `@Lean()` field of the schema straight at its resolver instance's method. */
export function applyLeanResolvers(schema: GraphQLSchema, instances: Map<Function, object>): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const lean = field.extensions[LEAN] as LeanTarget | undefined;
      if (!lean) continue;
      if (field.args.length > 0) throw new Error(`@Lean field ${type.name}.${field.name} has arguments`);
      const instance = instances.get(lean.resolver) as Record<
        string,
        (root: unknown, context: unknown) => unknown
      >;
      if (!instance) throw new Error(`no instance registered for resolver ${lean.resolver.name}`);
      const method = instance[lean.method].bind(instance);
      field.resolve = (root, _args, context) => method(root, context);
    }
  }
}
