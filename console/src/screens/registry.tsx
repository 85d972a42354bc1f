/**
 * The console's screens and navigation. A screen appears only when every root field it uses exists in the schema the
 * console was built against (console/src/gql/capabilities.ts, generated from src/schema/schema.graphql), so screens
 * for APIs still being built slot in by adding one entry here, and never show made-up data.
 */
import { lazy, type ComponentType } from 'react';
import { ROOT_FIELDS } from '../gql/capabilities';
import { ConnectionsScreen } from './connections/connections-screen';
import { ConnectionDetailScreen } from './connections/connection-detail-screen';
import { OrdersScreen } from './orders/orders-screen';
import { OrderDetailScreen } from './orders/order-detail-screen';
import { SyncLogsScreen } from './sync-logs-screen';
import { PendingNavBadge } from './sync-wizard/pending-badge';

// Screens away from the first one load on first use, so the first screen's bundle stays small.
const InvoicesScreen = lazy(() =>
  import('./invoices/invoices-screen').then((m) => ({ default: m.InvoicesScreen })),
);
const ExportScreen = lazy(() => import('./export/export-screen').then((m) => ({ default: m.ExportScreen })));
const SyncWizardScreen = lazy(() =>
  import('./sync-wizard/sync-wizard-screen').then((m) => ({ default: m.SyncWizardScreen })),
);

export interface Screen {
  /** wouter pattern under /console. */
  path: string;
  component: ComponentType;
  /** Root fields ("Query.orders") the screen needs. */
  requires: string[];
  /** Shown in the navigation under this label (detail screens and the order views' tabs have none). */
  nav?: string;
  /** Shown after the navigation label (a live count). */
  navBadge?: ComponentType;
  /** Other paths under which the navigation entry is the current one. */
  section?: RegExp;
}

export const SCREENS: Screen[] = [
  {
    path: '/connections',
    nav: 'Connections',
    section: /^\/connections/,
    component: ConnectionsScreen,
    requires: ['Query.connections'],
  },
  { path: '/connections/:id', component: ConnectionDetailScreen, requires: ['Query.connection'] },
  {
    path: '/orders',
    nav: 'Orders',
    section: /^\/(orders|errors|archived)/,
    component: OrdersScreen,
    requires: ['Query.orders', 'Mutation.postOrders'],
  },
  { path: '/errors', component: OrdersScreen, requires: ['Query.orders', 'Mutation.postOrders'] },
  {
    path: '/archived',
    component: OrdersScreen,
    requires: ['Query.orders', 'Mutation.archiveOrders'],
  },
  { path: '/orders/:id', component: OrderDetailScreen, requires: ['Query.order'] },
  {
    path: '/invoices',
    nav: 'Invoices',
    component: InvoicesScreen,
    requires: ['Query.invoices', 'Mutation.sendInvoice'],
  },
  {
    path: '/export',
    nav: 'Export',
    component: ExportScreen,
    requires: ['Mutation.exportToQuickBooks', 'Query.batches'],
  },
  {
    path: '/sync-wizard',
    nav: 'Sync wizard',
    navBadge: PendingNavBadge,
    component: SyncWizardScreen,
    requires: ['Query.pendingEntities', 'Mutation.approveEntities', 'Mutation.retrySync'],
  },
  { path: '/logs', nav: 'Sync logs', component: SyncLogsScreen, requires: ['Query.syncLogs'] },
];

/** The screens the schema supports. */
export function availableScreens(
  screens: Screen[] = SCREENS,
  fields: ReadonlySet<string> = ROOT_FIELDS,
): Screen[] {
  return screens.filter((screen) => screen.requires.every((field) => fields.has(field)));
}
