import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The blueprint's rules, checked on the source: contexts import each other only through their
 * public index.ts, only in the allowed directions, pure code imports no I/O, and no module
 * imports itself through a cycle.
 */

const src = resolve('src');

/** Which contexts each context may import (besides itself). The graph is acyclic. */
const allowed: Record<string, readonly string[]> = {
  platform: [],
  formats: ['platform'],
  sync: ['formats', 'platform'],
  recordings: ['formats', 'sync', 'platform'],
  catalog: ['recordings', 'platform'],
  datasets: ['catalog', 'recordings', 'sync', 'formats', 'platform'],
  compute: ['datasets', 'platform'],
  registry: ['compute', 'datasets', 'platform'],
  safety: ['registry', 'datasets', 'catalog', 'platform'],
  edge: ['registry', 'datasets', 'platform'],
  regions: ['catalog', 'compute', 'platform'],
  app: [
    'platform',
    'formats',
    'sync',
    'recordings',
    'catalog',
    'datasets',
    'compute',
    'registry',
    'safety',
    'edge',
    'regions',
  ],
  server: [
    'app',
    'platform',
    'formats',
    'sync',
    'recordings',
    'catalog',
    'datasets',
    'compute',
    'registry',
    'safety',
    'edge',
    'regions',
  ],
  cli: [
    'app',
    'server',
    'platform',
    'formats',
    'sync',
    'recordings',
    'catalog',
    'datasets',
    'compute',
    'registry',
    'safety',
    'edge',
    'regions',
  ],
};

/** Contexts that are pure as a whole: no Node I/O, no database, no network. */
const pureContexts = new Set(['formats', 'sync']);
/** Pure folders inside otherwise stateful contexts. */
const pureFolders = ['compute/admission', 'compute/simulator', 'compute/cost'];
/** The one module of platform that pure code may import: the error taxonomy, itself pure. */
const pureEntryOfPlatform = 'platform/errors.ts';

const ioModules = [
  /^node:(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads)$/,
  /^(fs|net|http|https|child_process)$/,
  /^(pg|better-sqlite3|kysely|fastify|@aws-sdk\/.*|@kubernetes\/client-node|pino)$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

function importsOf(file: string, { typeOnly = true } = {}): string[] {
  const source = readFileSync(file, 'utf8');
  const text = typeOnly ? source : source.replace(/^\s*(?:import|export)\s+type\b[^;]*;/gm, '');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm))
    specifiers.push(match[1] ?? '');
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm))
    specifiers.push(match[1] ?? '');
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    specifiers.push(match[1] ?? '');
  return specifiers;
}

const contextOf = (file: string): string => relative(src, file).split(sep)[0] ?? '';

const files = sourceFiles(src).map((file) => ({
  file,
  path: relative(src, file).split(sep).join('/'),
  context: contextOf(file),
  imports: importsOf(file),
}));

describe('architecture', () => {
  it('knows every context folder', () => {
    const unknown = [...new Set(files.map((f) => f.context))].filter(
      (c) => !(c in allowed) && !c.endsWith('.ts'),
    );
    expect(unknown).toEqual([]);
  });

  it('imports another context only through its index.ts, and only in the allowed directions', () => {
    const violations: string[] = [];
    for (const { file, path, context, imports } of files) {
      for (const specifier of imports.filter((s) => s.startsWith('.'))) {
        const target = relative(src, resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
          .split(sep)
          .join('/');
        const targetContext = target.split('/')[0] ?? '';
        if (targetContext === context) continue;
        if (!(allowed[context] ?? []).includes(targetContext)) {
          violations.push(
            `${path} imports ${target}: ${context} may not depend on ${targetContext}`,
          );
        } else if (target !== `${targetContext}/index.ts` && target !== pureEntryOfPlatform) {
          violations.push(
            `${path} imports ${target}: import ${targetContext} through its index.ts`,
          );
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps pure code free of I/O, including through the platform index', () => {
    const violations: string[] = [];
    for (const { file, path, context, imports } of files) {
      const pure =
        pureContexts.has(context) || pureFolders.some((folder) => path.startsWith(`${folder}/`));
      if (!pure) continue;
      for (const specifier of imports) {
        if (ioModules.some((pattern) => pattern.test(specifier)))
          violations.push(`${path} imports ${specifier}`);
        if (specifier.startsWith('.')) {
          const target = relative(src, resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
            .split(sep)
            .join('/');
          if (target.startsWith('platform/') && target !== pureEntryOfPlatform) {
            violations.push(
              `${path} imports ${target}: pure code imports only ${pureEntryOfPlatform} from platform`,
            );
          }
        }
      }
    }
    expect(violations).toEqual([]);
  });
});

/** The source file a relative specifier names: `./x.js` is `x.ts`, `x.tsx` or `x/index.ts`. */
function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find(
    (candidate) => existsSync(candidate),
  );
}

/**
 * Every import cycle among the modules under `roots`, each as the chain of files that closes it.
 * Type-only imports are erased at compile time, so they cannot form a cycle at run time.
 */
function importCycles(roots: readonly string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const file of roots.flatMap((root) => sourceFiles(root))) {
    const targets = importsOf(file, { typeOnly: false })
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveModule(file, specifier))
      .filter((target): target is string => target !== undefined);
    graph.set(file, targets);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(target)), target].map((f) => relative('.', f)));
      } else if (!state.has(target)) {
        visit(target);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('module graph', () => {
  it('has no import cycles among the modules of src and web', () => {
    expect(importCycles([src, resolve('web/src')])).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-cycle-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport const b = 1;\n");
      expect(importCycles([dir])).toEqual([]);
      writeFileSync(join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = () => a;\n");
      expect(importCycles([dir])).toEqual([
        [join(dir, 'a.ts'), join(dir, 'b.ts'), join(dir, 'a.ts')].map((f) => relative('.', f)),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
