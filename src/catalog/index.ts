export * from './query/index.js';
export * from './model.js';
export {
  ContractValidator,
  contractTerms,
  parseYaml,
  productToOdcs,
  productToOdcsYaml,
  type ContractTerms,
  type ProductForContract,
} from './contract.js';
export {
  CatalogService,
  type CheckResult,
  type DataProduct,
  type Domain,
  type ProductAccess,
  type ProductInput,
  type QualityFailure,
  type ReadScope,
} from './service.js';
export {
  SearchService,
  scopeCondition,
  wantedTags,
  type SegmentHit,
  type Track,
} from './search/search.js';
export { compileQuery } from './search/compile.js';
export { catalogMigrations } from './migrations.js';
export { loadContractValidator, odcsSchemaFile } from './schemas.js';
export type * from './tables.js';
