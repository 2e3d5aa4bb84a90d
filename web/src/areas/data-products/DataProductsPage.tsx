import { Navigate, Route, Routes } from 'react-router';
import { ProductsList } from './ProductsList.js';
import { ProductView } from './ProductView.js';
import { SearchPage } from './SearchPage.js';
import './data-products.css';

/** The Data products area: the catalog of products, a page per product, and scenario search. */
export function DataProductsPage() {
  return (
    <Routes>
      <Route index element={<ProductsList />} />
      <Route path="search" element={<SearchPage />} />
      <Route path=":id" element={<ProductView />} />
      <Route path="*" element={<Navigate to="/data-products" replace />} />
    </Routes>
  );
}
