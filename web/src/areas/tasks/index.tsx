import { ListChecks } from 'lucide-react';
import type { Area } from '../area.js';
import { TasksPage } from './TasksPage.js';

export const tasksArea: Area = {
  path: 'tasks',
  label: 'Tasks',
  group: 'Platform',
  icon: ListChecks,
  element: <TasksPage />,
};
