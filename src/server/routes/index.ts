import type { App } from '../../app/index.js';
import type { Server } from '../server.js';
import { auditRoutes } from './audit.js';
import { catalogRoutes } from './catalog.js';
import { computeRoutes } from './compute.js';
import { datasetRoutes } from './datasets.js';
import { identityRoutes } from './identity.js';
import { lineageRoutes } from './lineage.js';
import { recordingRoutes } from './recordings.js';
import { systemRoutes } from './system.js';
import { taskRoutes } from './tasks.js';

/** Adds one context's routes to the server. */
export type RouteModule = (server: Server, app: App) => Promise<void> | void;

/** Every route module of the API. */
export const routeModules: readonly RouteModule[] = [
  systemRoutes,
  identityRoutes,
  auditRoutes,
  taskRoutes,
  computeRoutes,
  recordingRoutes,
  catalogRoutes,
  datasetRoutes,
  lineageRoutes,
];
