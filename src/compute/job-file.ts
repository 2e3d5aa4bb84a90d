import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidInput } from '../platform/index.js';
import { isObject } from './validate-input.js';

/**
 * Reads a job file (YAML or JSON). Elements of `command` that start with `./` or `../` are paths
 * next to the file and are made absolute, so that a job file can name the script it sits beside.
 */
export function parseJobFile(text: string, file: string): unknown {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (error) {
    throw new InvalidInput(`${file}: not valid YAML: ${(error as Error).message}`, file);
  }
  if (!isObject(doc)) throw new InvalidInput(`${file}: expected a job document (a mapping)`, file);
  if (!Array.isArray(doc.command)) return doc;
  const dir = resolve(file, '..');
  return {
    ...doc,
    command: doc.command.map((part: unknown) =>
      typeof part === 'string' && /^\.\.?\//.test(part) && !isAbsolute(part)
        ? resolve(dir, part)
        : part,
    ),
  };
}
