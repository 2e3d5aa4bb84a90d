import { Environment } from '@marcbachmann/cel-js';
import { InvalidInput } from '../../platform/index.js';
import { isObject, type Doc } from '../validate-input.js';

/**
 * Validates Kubernetes objects the way an API server with strict field validation would:
 * structure against the OpenAPI v3 schema (unknown fields rejected, defaults applied), then the
 * CRDs' `x-kubernetes-validations` CEL rules evaluated on the defaulted object. Pure: the CRD
 * and OpenAPI documents are passed in, already parsed.
 */

export interface ValidationIssue {
  /** JSON path of the offending value, e.g. `spec.resourceGroups[0].flavors`. */
  readonly path: string;
  readonly message: string;
}

export interface SchemaDocuments {
  /** CustomResourceDefinition documents (apiextensions.k8s.io/v1). */
  readonly crds: readonly unknown[];
  /**
   * OpenAPI 3 documents with `components.schemas`, and the kinds they define:
   * e.g. `{ document, kinds: { 'batch/v1/Job': 'io.k8s.api.batch.v1.Job' } }`.
   */
  readonly openapi: readonly {
    readonly document: unknown;
    readonly kinds: Readonly<Record<string, string>>;
  }[];
}

type Schema = Doc;

interface Rule {
  readonly rule: string;
  readonly message?: string;
  readonly program: (context: Record<string, unknown>) => unknown;
  readonly transition: boolean;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class KubernetesValidator {
  private readonly kinds = new Map<string, { schema: Schema; components?: Doc }>();
  private readonly rules = new Map<string, Rule[]>();
  private readonly env = new Environment({
    unlistedVariablesAreDyn: true,
    homogeneousAggregateLiterals: false,
  });
  private objectMeta: { schema: Schema; components: Doc } | undefined;

  constructor(documents: SchemaDocuments) {
    for (const crd of documents.crds) {
      if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) {
        throw new InvalidInput('expected a CustomResourceDefinition document', 'crds');
      }
      const spec = crd.spec;
      const names = spec.names as Doc;
      for (const version of (spec.versions as Doc[]) ?? []) {
        const schema = (version.schema as Doc | undefined)?.openAPIV3Schema;
        if (!isObject(schema)) continue;
        this.kinds.set(`${String(spec.group)}/${String(version.name)}/${String(names.kind)}`, {
          schema,
        });
      }
    }
    for (const { document, kinds } of documents.openapi) {
      const components = ((document as Doc).components as Doc | undefined)?.schemas;
      if (!isObject(components))
        throw new InvalidInput('expected an OpenAPI document with components.schemas', 'openapi');
      for (const [kind, name] of Object.entries(kinds)) {
        const schema = components[name];
        if (!isObject(schema))
          throw new InvalidInput(`schema ${name} not in the document`, 'openapi');
        this.kinds.set(kind, { schema, components });
      }
      const meta = components['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'];
      if (isObject(meta)) this.objectMeta ??= { schema: meta, components };
    }
  }

  /** Kinds this validator knows, as `group/version/Kind` (core group: `v1/Kind`). */
  knownKinds(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /**
   * Validates one object. Returns the issues found (empty when valid) and the object with
   * defaults applied. With `old`, transition rules (those using `oldSelf`) are evaluated too.
   */
  validate(object: unknown, old?: unknown): { issues: ValidationIssue[]; defaulted: unknown } {
    const issues: ValidationIssue[] = [];
    if (!isObject(object))
      return { issues: [{ path: '', message: 'expected an object' }], defaulted: object };
    const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
    const kind = typeof object.kind === 'string' ? object.kind : '';
    const entry = this.kinds.get(`${apiVersion}/${kind}`);
    if (entry === undefined) {
      return {
        issues: [{ path: 'kind', message: `unknown kind ${apiVersion} ${kind}` }],
        defaulted: object,
      };
    }
    const copy = structuredClone(object) as Record<string, unknown>;
    const defaulted = this.walk(
      entry.schema,
      copy,
      '',
      issues,
      entry.components,
      isObject(old) ? old : undefined,
      true,
    );
    const metadata = (defaulted as Doc).metadata;
    if (
      !isObject(metadata) ||
      typeof metadata.name !== 'string' ||
      !dns1123Subdomain.test(metadata.name) ||
      metadata.name.length > 253
    ) {
      issues.push({ path: 'metadata.name', message: 'a name must be a DNS-1123 subdomain' });
    }
    if (this.objectMeta !== undefined && isObject(metadata)) {
      this.walk(
        this.objectMeta.schema,
        metadata,
        'metadata',
        issues,
        this.objectMeta.components,
        undefined,
        false,
      );
    }
    return { issues, defaulted };
  }

  /** Throws InvalidInput listing every issue when the object is invalid. */
  assertValid(object: unknown, old?: unknown): void {
    const { issues } = this.validate(object, old);
    if (issues.length > 0) {
      const name =
        isObject(object) && isObject(object.metadata) ? String(object.metadata.name) : '?';
      throw new InvalidInput(
        `${isObject(object) ? String(object.kind) : 'object'} ${name} is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
        issues[0]?.path,
      );
    }
  }

  private resolve(schema: Schema, components: Doc | undefined): Schema {
    let s = schema;
    for (let depth = 0; depth < 32; depth++) {
      const ref = typeof s.$ref === 'string' ? s.$ref : undefined;
      const allOf =
        Array.isArray(s.allOf) && s.allOf.length === 1 && isObject(s.allOf[0])
          ? s.allOf[0]
          : undefined;
      const target = ref ?? (allOf && typeof allOf.$ref === 'string' ? allOf.$ref : undefined);
      if (target === undefined || components === undefined) return s;
      const resolved = components[target.replace('#/components/schemas/', '')];
      if (!isObject(resolved)) return s;
      const { $ref: _ref, allOf: _allOf, ...rest } = s;
      s = { ...resolved, ...rest };
    }
    return s;
  }

  private walk(
    raw: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    components: Doc | undefined,
    old: unknown,
    cel: boolean,
  ): unknown {
    const schema = this.resolve(raw, components);
    const at = (key: string | number) =>
      typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    if (value === null) {
      if (schema.nullable !== true) issues.push({ path, message: 'must not be null' });
      return value;
    }
    const intOrString = schema['x-kubernetes-int-or-string'] === true;
    const type = schema.type;
    if (intOrString) {
      if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
        issues.push({ path, message: 'expected an integer or a string' });
      }
    } else if (Array.isArray(schema.oneOf) && type === undefined) {
      const ok = schema.oneOf.some((o) => isObject(o) && typeMatches(o.type, value));
      if (!ok) issues.push({ path, message: 'matches none of the allowed types' });
    } else if (type !== undefined && !typeMatches(type, value)) {
      issues.push({
        path,
        message: `expected ${typeof type === 'string' ? type : 'a typed value'}, got ${Array.isArray(value) ? 'array' : typeof value}`,
      });
      return value;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      issues.push({
        path,
        message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
      });
    }
    if (typeof value === 'string') {
      if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
        issues.push({ path, message: `longer than ${schema.maxLength}` });
      if (typeof schema.minLength === 'number' && value.length < schema.minLength)
        issues.push({ path, message: `shorter than ${schema.minLength}` });
      if (typeof schema.pattern === 'string' && !goPattern(schema.pattern).test(value)) {
        issues.push({ path, message: `does not match ${schema.pattern}` });
      }
    }
    if (typeof value === 'number') {
      if (typeof schema.maximum === 'number' && value > schema.maximum)
        issues.push({ path, message: `above ${schema.maximum}` });
      if (typeof schema.minimum === 'number' && value < schema.minimum)
        issues.push({ path, message: `below ${schema.minimum}` });
    }
    if (Array.isArray(value)) {
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
        issues.push({ path, message: `more than ${schema.maxItems} items` });
      if (typeof schema.minItems === 'number' && value.length < schema.minItems)
        issues.push({ path, message: `fewer than ${schema.minItems} items` });
      if (isObject(schema.items)) {
        const items = schema.items;
        value.forEach((item, i) => {
          value[i] = this.walk(
            items,
            item,
            at(i),
            issues,
            components,
            Array.isArray(old) ? old[i] : undefined,
            cel,
          );
        });
      }
    } else if (isObject(value)) {
      const target = value as Record<string, unknown>;
      const properties = isObject(schema.properties) ? schema.properties : undefined;
      const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
      for (const key of Array.isArray(schema.required) ? schema.required : []) {
        if (typeof key === 'string' && target[key] === undefined)
          issues.push({ path: at(key), message: 'required' });
      }
      if (properties !== undefined) {
        for (const [key, sub] of Object.entries(properties)) {
          if (!isObject(sub)) continue;
          const resolved = this.resolve(sub, components);
          const fallback = sub.default ?? resolved.default;
          if (target[key] === undefined && fallback !== undefined)
            target[key] = structuredClone(fallback);
        }
      }
      for (const [key, child] of Object.entries(target)) {
        const sub = properties?.[key];
        const oldChild = isObject(old) ? old[key] : undefined;
        if (isObject(sub))
          target[key] = this.walk(sub, child, at(key), issues, components, oldChild, cel);
        else if (isObject(schema.additionalProperties)) {
          target[key] = this.walk(
            schema.additionalProperties,
            child,
            at(key),
            issues,
            components,
            oldChild,
            cel,
          );
        } else if (properties !== undefined && schema.additionalProperties !== true && !preserve) {
          issues.push({ path: at(key), message: 'unknown field' });
        }
      }
    }
    if (cel && Array.isArray(schema['x-kubernetes-validations'])) {
      for (const rule of this.compiled(schema['x-kubernetes-validations'])) {
        if (rule.transition && old === undefined) continue;
        let result: unknown;
        try {
          result = rule.program(rule.transition ? { self: value, oldSelf: old } : { self: value });
        } catch (error) {
          issues.push({
            path,
            message: `CEL rule could not be evaluated (${(error as Error).message}): ${rule.rule}`,
          });
          continue;
        }
        if (result !== true)
          issues.push({ path, message: rule.message ?? `failed rule: ${rule.rule}` });
      }
    }
    return value;
  }

  private compiled(list: unknown[]): Rule[] {
    const key = JSON.stringify(list);
    let rules = this.rules.get(key);
    if (rules === undefined) {
      rules = list.filter(isObject).map((r) => {
        const rule = String(r.rule);
        return {
          rule,
          ...(typeof r.message === 'string' ? { message: r.message } : {}),
          program: this.env.parse(rule),
          transition: /\boldSelf\b/.test(rule),
        };
      });
      this.rules.set(key, rules);
    }
    return rules;
  }
}

const patterns = new Map<string, RegExp>();

/** Schema patterns are Go (RE2) expressions; a leading `(?i)` becomes the `i` flag. */
function goPattern(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (re === undefined) {
    const insensitive = /^\^?\(\?i\)/.test(pattern);
    re = new RegExp(insensitive ? pattern.replace('(?i)', '') : pattern, insensitive ? 'iu' : 'u');
    patterns.set(pattern, re);
  }
  return re;
}

function typeMatches(type: unknown, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}
