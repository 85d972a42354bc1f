import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    'How the QuickBooks Web Connector reaches a DESKTOP connection: add the .qwc file at qwcUrl to the Web Connector and enter the password shown once by connect.',
})
export class WebConnectorInfo {
  @Field({ description: 'The application name the Web Connector lists.' }) appName!: string;
  @Field({ description: 'The user the Web Connector authenticates as (in the .qwc file).' })
  userName!: string;
  @Field({ description: 'Where an ADMIN key downloads the .qwc file.' }) qwcUrl!: string;
  @Field(() => Date, { nullable: true, description: 'When the Web Connector last asked for work.' })
  lastPollAt!: Date | null;
  @Field(() => Int, {
    description: 'qbXML requests waiting for the next Web Connector run (or sent and not yet answered).',
  })
  pendingRequests!: number;
}
