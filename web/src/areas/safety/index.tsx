import { ShieldCheck } from 'lucide-react';
import type { Area } from '../area.js';
import { SafetyPage } from './SafetyPage.js';

export const safetyArea: Area = {
  path: 'safety',
  label: 'Safety',
  group: 'Release',
  icon: ShieldCheck,
  element: <SafetyPage />,
};
