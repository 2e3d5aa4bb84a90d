import { Navigate, Route, Routes } from 'react-router';
import { BuildPage } from './BuildPage.js';
import { DatasetsList } from './DatasetsList.js';
import { DatasetView } from './DatasetView.js';
import './datasets.css';

/** The Datasets area: the versions list, the build form, and the card of each version. */
export function DatasetsPage() {
  return (
    <Routes>
      <Route index element={<DatasetsList />} />
      <Route path="build" element={<BuildPage />} />
      <Route path=":id" element={<DatasetView />} />
      <Route path="*" element={<Navigate to="/datasets" replace />} />
    </Routes>
  );
}
