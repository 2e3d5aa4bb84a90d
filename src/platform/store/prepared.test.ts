import { describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite.js';
import { preparedQuery, preparedStatementName } from './prepared.js';
import type { Store } from './store.js';
import { Internal } from '../errors.js';

describe('prepared queries', () => {
  const withStore = async (work: (store: Store) => Promise<void>) => {
    const store = openSqliteStore(':memory:');
    try {
      await work(store);
    } finally {
      await store.close();
    }
  };

  it('compile once and bind each call its own values, in the places the builder used them', async () => {
    await withStore(async (store) => {
      let compiles = 0;
      const between = preparedQuery<{ low: number; high: number }, { n: number }>(
        ['low', 'high'],
        (p) => {
          compiles += 1;
          return store.db
            .selectNoFrom((eb) => eb.val(p.high).as('n'))
            .where((eb) => eb(eb.val(p.low), '<', eb.val(p.high)))
            .where((eb) => eb(eb.val(7), '=', 7));
        },
      );
      const first = between({ low: 1, high: 5 });
      const second = between({ low: 9, high: 3 });
      expect(compiles).toBe(1);
      expect(second.sql).toBe(first.sql);
      expect(second.queryId).not.toBe(first.queryId);
      expect((await store.db.executeQuery(first)).rows).toEqual([{ n: 5 }]);
      expect((await store.db.executeQuery(second)).rows).toEqual([]);
      expect(preparedStatementName(first.sql)).toMatch(/^dt_[0-9a-f]{24}$/);
      expect(preparedStatementName('select 1')).toBeUndefined();
    });
  });

  it('refuses a builder that leaves a parameter out, naming it', async () => {
    await withStore(async (store) => {
      const careless = preparedQuery<{ used: number; forgotten: number }, { n: number }>(
        ['used', 'forgotten'],
        (p) => store.db.selectNoFrom((eb) => eb.val(p.used).as('n')),
      );
      expect(() => careless({ used: 1, forgotten: 2 })).toThrow(Internal);
      expect(() => careless({ used: 1, forgotten: 2 })).toThrow(/"forgotten"/);
    });
  });
});
