/** `npm run schema:emit`: rewrites src/schema/schema.graphql from the resolvers. */
import 'reflect-metadata';
import { createSchema, emitSchemaFile, SCHEMA_FILE } from '../src/schema/build-schema';

emitSchemaFile(createSchema());
console.log(`wrote ${SCHEMA_FILE}`);
