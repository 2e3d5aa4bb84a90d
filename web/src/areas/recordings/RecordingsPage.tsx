import { Navigate, Route, Routes } from 'react-router';
import { RecordingsList } from './RecordingsList.js';
import { RecordingView } from './RecordingView.js';
import { UploadPage } from './UploadPage.js';
import './recordings.css';

/** The Recordings area: the searchable list, uploads, and a page per recording. */
export function RecordingsPage() {
  return (
    <Routes>
      <Route index element={<RecordingsList />} />
      <Route path="upload" element={<UploadPage />} />
      <Route path=":id" element={<RecordingView />} />
      <Route path="*" element={<Navigate to="/recordings" replace />} />
    </Routes>
  );
}
