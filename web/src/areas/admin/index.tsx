import { UserCog } from 'lucide-react';
import type { Area } from '../area.js';
import { AdminPage } from './AdminPage.js';

export const adminArea: Area = {
  path: 'admin',
  label: 'Admin',
  group: 'Platform',
  icon: UserCog,
  element: <AdminPage />,
};
