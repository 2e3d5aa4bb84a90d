import { adminArea } from './admin/index.js';
import type { Area } from './area.js';
import { costArea } from './cost/index.js';
import { dataProductsArea } from './data-products/index.js';
import { datasetsArea } from './datasets/index.js';
import { edgeArea } from './edge/index.js';
import { jobsArea } from './jobs/index.js';
import { modelsArea } from './models/index.js';
import { recordingsArea } from './recordings/index.js';
import { safetyArea } from './safety/index.js';
import { tasksArea } from './tasks/index.js';

export { areaGroups, type Area, type AreaGroup } from './area.js';

/** Every area of the UI in navigation order; a new area adds its entry here. */
export const areas: readonly Area[] = [
  recordingsArea,
  dataProductsArea,
  datasetsArea,
  jobsArea,
  modelsArea,
  safetyArea,
  edgeArea,
  tasksArea,
  costArea,
  adminArea,
];
