import { Video } from 'lucide-react';
import type { Area } from '../area.js';
import { RecordingsPage } from './RecordingsPage.js';

export const recordingsArea: Area = {
  path: 'recordings',
  label: 'Recordings',
  group: 'Data',
  icon: Video,
  element: <RecordingsPage />,
};
