import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/**
 * A validation rule that refuses documents nested deeper than `maxDepth` fields (fragments followed, introspection
 * included), so one request cannot make the server walk an arbitrarily deep graph. One exception: `ofType` inside
 * introspection does not count. It follows a type's wrappers (list, non-null), one object each and null past the
 * last, so nesting it costs no more than the query's own size; GraphiQL's introspection query nests it eight deep.
 */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (
      selectionSet: SelectionSetNode | undefined,
      seen: Set<string>,
      introspecting: boolean,
    ): number => {
      if (!selectionSet) return 0;
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          const inside = introspecting || name === '__schema' || name === '__type';
          const own = inside && name === 'ofType' ? 0 : 1;
          deepest = Math.max(deepest, own + depthOf(selection.selectionSet, seen, inside));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, seen, introspecting));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name))
            deepest = Math.max(
              deepest,
              depthOf(fragment.selectionSet, new Set(seen).add(name), introspecting),
            );
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set(), false);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query is nested ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: [node],
            }),
          );
        }
      },
    };
  };
}
