import { Navigate, Route, Routes } from 'react-router';
import { JobsList } from './JobsList.js';
import { JobView } from './JobView.js';

/** The Jobs area: the list of training jobs and a page per job. */
export function JobsPage() {
  return (
    <Routes>
      <Route index element={<JobsList />} />
      <Route path=":id" element={<JobView />} />
      <Route path="*" element={<Navigate to="/jobs" replace />} />
    </Routes>
  );
}
