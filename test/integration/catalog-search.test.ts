import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CatalogService,
  loadContractValidator,
  matches,
  parseQuery,
  SearchService,
} from '../../src/catalog/index.js';
import {
  insertRecordings,
  segmentFacts,
  syntheticRecording,
  type SyntheticSegmentFacts,
} from '../../src/catalog/testing/fleet-metadata.js';
import {
  IdentityService,
  operatorPrincipal,
  type Principal,
  type Store,
} from '../../src/platform/index.js';
import { member, searchAll } from '../support/catalog.js';
import { postgresAvailable } from '../support/postgres.js';
import { storeImplementations, type TestStore } from '../support/stores.js';

/**
 * Scenario search as a team member (own recordings plus granted products, narrowed by a product
 * query), whichever way the store is asked: on SQLite every range either may start the search or
 * is kept from its index (`wideRange` 1), and both must find exactly what `matches` finds.
 */

const admin = operatorPrincipal('test');

const leaf = fc.constantFrom(
  'night',
  'rain',
  'speed:urban',
  'sensors has lidar',
  'country = "DE"',
  'country in ("FR", "NL")',
  'country in ("DE", "AT", "CH")',
  'daylight in ("day", "twilight")',
  'speed_kmh > 60',
  'speed_kmh <= 30',
  'speed_kmh_max > 50',
  'start >= "2026-01-05T01:00:00Z"',
  'start < "2026-01-05T02:30:00Z"',
  'end > "2026-01-05T03:00:00Z"',
  'lat > 48',
  'lat < 50.5',
  'lon > 5',
  'lon < 12',
  'lat != 48.5',
  'vehicle = "veh-0003"',
);
const conjunction = fc
  .array(
    fc.oneof(
      leaf,
      leaf.map((l) => `not (${l})`),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(' and '));
const query = fc.oneof(
  conjunction,
  fc.tuple(conjunction, conjunction).map(([a, b]) => `(${a}) or (${b})`),
);

for (const implementation of storeImplementations) {
  const available = implementation.name === 'sqlite' || (await postgresAvailable('search suite'));
  describe.skipIf(!available)(`scenario search plans on ${implementation.name}`, () => {
    let testStore: TestStore;
    let store: Store;
    let catalog: CatalogService;
    let planner: Principal;
    let facts: SyntheticSegmentFacts[];
    let readable: (f: SyntheticSegmentFacts) => boolean;

    beforeAll(async () => {
      testStore = await implementation.create();
      store = testStore.store;
      const identity = new IdentityService(store);
      const teams = new Map<string, string>();
      for (const name of ['perception', 'planning', 'mapping']) {
        teams.set(name, (await identity.createTeam(admin, { name })).id);
      }
      catalog = new CatalogService(store, loadContractValidator(undefined));
      const recordings = Array.from({ length: 150 }, (_, i) =>
        syntheticRecording(i, { seed: 11, teamIds: [...teams.values()], vehicles: 12 }),
      );
      await insertRecordings(store, recordings);
      facts = recordings.flatMap(segmentFacts);

      const steward = (team: string) => member(teams.get(team)!, 'data-steward', `${team}-s`);
      await catalog.createDomain(steward('perception'), {
        name: 'perception-data',
        ownerTeam: 'perception',
      });
      await catalog.createProduct(steward('perception'), {
        name: 'night-drives',
        domain: 'perception-data',
        residency: 'eu',
        rule: { countries: ['DE', 'FR'], query: 'night' },
      });
      await catalog.grant(steward('perception'), 'night-drives', 'planning');
      await catalog.createDomain(steward('mapping'), {
        name: 'mapping-data',
        ownerTeam: 'mapping',
      });
      await catalog.createProduct(steward('mapping'), {
        name: 'lidar-drives',
        domain: 'mapping-data',
        residency: 'eu',
        rule: { sensors: ['lidar'], vehicles: ['veh-000*'] },
      });
      await catalog.grant(steward('mapping'), 'lidar-drives', 'planning');

      const served = async (product: string) => {
        const rows = await store.db
          .withTables<{ product_recordings: { product_id: string; recording_id: string } }>()
          .selectFrom('product_recordings')
          .select('recording_id')
          .where('product_id', '=', (await catalog.getProduct(admin, product)).id)
          .execute();
        return new Set(rows.map((r) => r.recording_id));
      };
      const nightDrives = await served('night-drives');
      const lidarDrives = await served('lidar-drives');
      expect(nightDrives.size).toBeGreaterThan(0);
      expect(lidarDrives.size).toBeGreaterThan(0);
      const night = parseQuery('night');
      planner = member(teams.get('planning')!, 'viewer', 'planner');
      readable = (f) =>
        f.teamId === teams.get('planning') ||
        (nightDrives.has(f.recordingId) && matches(night, f)) ||
        lidarDrives.has(f.recordingId);
    });
    afterAll(async () => {
      await testStore.dispose();
    });

    it('finds what the team may read of what the query matches, in id order, page by page (property)', async () => {
      const searches = [
        new SearchService(store, catalog),
        new SearchService(store, catalog, { wideRange: 1 }),
      ];
      await fc.assert(
        fc.asyncProperty(query, async (text) => {
          const tree = parseQuery(text);
          const expected = facts
            .filter((f) => matches(tree, f) && readable(f))
            .map((f) => f.id)
            .sort();
          for (const search of searches)
            expect(await searchAll(search, planner, text, 23)).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    });
  });
}
