import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeShared, sharedPath } from '../../test/support/shared.js';
import { InvalidInput } from '../platform/errors.js';
import {
  ContractValidator,
  contractTerms,
  parseYaml,
  productToOdcs,
  productToOdcsYaml,
  type ProductForContract,
} from './contract.js';

const product: ProductForContract = {
  id: 'dp_01',
  name: 'front-camera-de',
  domain: 'perception',
  ownerTeam: 'perception',
  description: 'front camera and lidar drives in Germany',
  classification: 'confidential',
  personalData: ['faces', 'license-plates', 'location'],
  residency: 'eu',
  rule: { vehicles: ['veh-*'], sensors: ['camera', 'lidar'], countries: ['DE'], query: 'not snow' },
  slos: {
    requiredSensors: ['camera', 'lidar'],
    minSyncScore: 90,
    maxAgeHours: 48,
    minCompletenessPercent: 95,
  },
  readers: ['planning', 'validation'],
  contractVersion: '1.2.0',
  createdAt: '2026-01-05T00:00:00.000Z',
};

describe('YAML input', () => {
  it('names line and column of a syntax error', () => {
    expect(() => parseYaml('a: [1, 2\nb: 3', 'contract')).toThrow(
      /contract: not valid YAML at line \d+, column \d+/,
    );
    expect(() => parseYaml('a: 1\na: 2', 'contract')).toThrow(InvalidInput);
  });
});

describeShared('ODCS contracts against the official schema', () => {
  const validator = new ContractValidator(
    JSON.parse(
      readFileSync(sharedPath('schemas', 'odcs', 'odcs-json-schema-v3.1.0.json'), 'utf8'),
    ) as object,
  );

  it('accepts both upstream examples', () => {
    for (const name of ['full-example.odcs.yaml', 'all-data-types.odcs.yaml']) {
      expect(
        validator.errors(
          parse(readFileSync(sharedPath('schemas', 'odcs', 'examples', name), 'utf8')),
        ),
      ).toEqual([]);
    }
  });

  it('exports products as valid ODCS v3.1.0 and reads back the same terms', () => {
    const document = parseYaml(productToOdcsYaml(product), 'contract');
    expect(validator.errors(document)).toEqual([]);
    expect(contractTerms(document, validator)).toEqual({
      contractId: 'dp_01',
      version: '1.2.0',
      status: 'active',
      name: product.name,
      domain: 'perception',
      ownerTeam: 'perception',
      description: product.description,
      classification: 'confidential',
      personalData: ['faces', 'license-plates', 'location'],
      residency: 'eu',
      rule: product.rule,
      slos: product.slos,
      readers: ['planning', 'validation'],
      notRun: [],
    });
  });

  it('refuses contracts that fail the schema, naming the path', () => {
    const document = productToOdcs(product);
    const { status: _status, ...withoutStatus } = document;
    const broken = { ...withoutStatus, apiVersion: 'v9.9.9' };
    const error = (() => {
      try {
        contractTerms(broken, validator);
      } catch (e) {
        return e as InvalidInput;
      }
      throw new Error('accepted');
    })();
    expect(error.message).toContain('does not match the ODCS v3 schema');
    expect(error.details.errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/apiVersion'),
        expect.stringContaining("must have required property 'status'"),
      ]),
    );
    const badQuality = structuredClone(document) as {
      schema: { quality: Record<string, unknown>[] }[];
    };
    badQuality.schema[0]!.quality[0]!.dimension = 'beauty';
    expect(() => contractTerms(badQuality, validator)).toThrow(/schema\/0\/quality\/0\/dimension/);
  });

  it('refuses valid ODCS that drivetrain cannot serve, naming the field', () => {
    const upstream = parse(
      readFileSync(sharedPath('schemas', 'odcs', 'examples', 'full-example.odcs.yaml'), 'utf8'),
    ) as unknown;
    expect(() => contractTerms(upstream, validator)).toThrow(/contract.name/);
    const unknownSensor = structuredClone(productToOdcs(product)) as {
      schema: { quality: { implementation: { sensors?: string[] } }[] }[];
    };
    unknownSensor.schema[0]!.quality[0]!.implementation.sensors = ['sonar'];
    expect(() => contractTerms(unknownSensor, validator)).toThrow(
      'contract.schema[0].quality[0].implementation.sensors[0]: unknown sensor "sonar"',
    );
    const noResidency = structuredClone(productToOdcs(product)) as {
      customProperties: { property: string }[];
    };
    noResidency.customProperties = noResidency.customProperties.filter(
      (p) => p.property !== 'residency',
    );
    expect(() => contractTerms(noResidency, validator)).toThrow('residency');
  });

  it('keeps quality rules of other engines as not run', () => {
    const document = structuredClone(productToOdcs(product)) as {
      schema: { quality: unknown[] }[];
    };
    document.schema[0]!.quality.push({
      type: 'custom',
      engine: 'soda',
      name: 'row-check',
      implementation: 'row_count > 0',
    });
    expect(contractTerms(document, validator).notRun).toEqual(['row-check']);
  });

  it('never crashes on fuzzed contracts: valid ones are read, others are InvalidInput', () => {
    const base = productToOdcs(product);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'apiVersion',
            'kind',
            'id',
            'status',
            'name',
            'domain',
            'team',
            'schema',
            'customProperties',
            'roles',
          ),
          fc.jsonValue(),
        ),
        (overrides) => {
          try {
            contractTerms({ ...base, ...overrides }, validator);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInput);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
