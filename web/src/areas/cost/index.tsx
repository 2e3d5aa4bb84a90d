import { Coins } from 'lucide-react';
import type { Area } from '../area.js';
import { CostPage } from './CostPage.js';

export const costArea: Area = {
  path: 'cost',
  label: 'Cost',
  group: 'Platform',
  icon: Coins,
  element: <CostPage />,
};
