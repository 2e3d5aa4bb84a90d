import { CircuitBoard } from 'lucide-react';
import type { Area } from '../area.js';
import { EdgePage } from './EdgePage.js';

export const edgeArea: Area = {
  path: 'edge',
  label: 'Edge',
  group: 'Release',
  icon: CircuitBoard,
  element: <EdgePage />,
};
