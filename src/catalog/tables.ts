/** Row types of the catalog context (conventions: see platform/store/tables.ts). */
export type DomainsTable = {
  id: string;
  name: string;
  description: string;
  owner_team_id: string;
  created_by: string;
  created_at: number;
};

export type DataProductsTable = {
  id: string;
  domain_id: string;
  name: string;
  description: string;
  owner_team_id: string;
  /** public | internal | confidential | restricted */
  classification: string;
  /** JSON array of personal data categories the product holds (`faces`, `license-plates` …). */
  personal_data: string;
  /** Region the data must stay in (`eu`, `us` …). */
  residency: string;
  /** JSON `ProductRule`: which of the owner team's recordings the product serves. */
  rule: string;
  /** JSON `ProductSlos`. */
  slos: string;
  /** passing | failing | unknown */
  quality_status: string;
  /** JSON array of the failing checks, as last computed. */
  quality_failures: string;
  quality_checked_at: number | null;
  /** The ODCS contract as imported (YAML), or null when none was imported. */
  contract: string | null;
  contract_version: string;
  revision: number;
  created_by: string;
  created_at: number;
  updated_at: number;
};

export type ProductGrantsTable = {
  product_id: string;
  team_id: string;
  granted_by: string;
  created_at: number;
};

export type ProductRecordingsTable = {
  product_id: string;
  recording_id: string;
};

export type ContractChecksTable = {
  product_id: string;
  /** Empty for checks of the product as a whole (freshness). */
  recording_id: string;
  check_name: string;
  passed: number;
  detail: string;
  checked_at: number;
};

export type RecordingQualityTable = {
  recording_id: string;
  sync_score: number | null;
  updated_at: number;
};

export type CatalogTables = {
  domains: DomainsTable;
  data_products: DataProductsTable;
  product_grants: ProductGrantsTable;
  product_recordings: ProductRecordingsTable;
  contract_checks: ContractChecksTable;
  recording_quality: RecordingQualityTable;
};
