import { Brain } from 'lucide-react';
import type { Area } from '../area.js';
import { ModelsPage } from './ModelsPage.js';

export const modelsArea: Area = {
  path: 'models',
  label: 'Models',
  group: 'Machine learning',
  icon: Brain,
  element: <ModelsPage />,
};
