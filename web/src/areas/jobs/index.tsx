import { Cpu } from 'lucide-react';
import type { Area } from '../area.js';
import { JobsPage } from './JobsPage.js';

export const jobsArea: Area = {
  path: 'jobs',
  label: 'Jobs',
  group: 'Machine learning',
  icon: Cpu,
  element: <JobsPage />,
};
