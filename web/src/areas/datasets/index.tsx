import { Database } from 'lucide-react';
import type { Area } from '../area.js';
import { DatasetsPage } from './DatasetsPage.js';

export const datasetsArea: Area = {
  path: 'datasets',
  label: 'Datasets',
  group: 'Data',
  icon: Database,
  element: <DatasetsPage />,
};
