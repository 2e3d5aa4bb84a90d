import { Boxes } from 'lucide-react';
import type { Area } from '../area.js';
import { DataProductsPage } from './DataProductsPage.js';

export const dataProductsArea: Area = {
  path: 'data-products',
  label: 'Data products',
  group: 'Data',
  icon: Boxes,
  element: <DataProductsPage />,
};
