import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractValidator } from './contract.js';

/** File name of the ODCS JSON schema inside the standard schemas folder. */
export const odcsSchemaFile = join('odcs', 'odcs-json-schema-v3.1.0.json');

/**
 * The ODCS contract validator from the standard schemas folder (`DRIVETRAIN_SCHEMAS`, see
 * `standardSchemasDir`); undefined when the folder or the schema is absent, in which case
 * contracts are refused with a message saying what to configure.
 */
export function loadContractValidator(
  schemasDir: string | undefined,
): ContractValidator | undefined {
  if (schemasDir === undefined) return undefined;
  const file = join(schemasDir, odcsSchemaFile);
  if (!existsSync(file)) return undefined;
  return new ContractValidator(JSON.parse(readFileSync(file, 'utf8')) as object);
}
