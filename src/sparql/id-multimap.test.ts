import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdMultimapBuilder, type IdMultimap } from './id-multimap.ts';

function rowsOf(map: IdMultimap, key: number): number[][] {
  const group = map.group(key);
  if (group < 0) return [];
  const rows: number[][] = [];
  for (let row = map.offsets[group]; row < map.offsets[group + 1]; row++) rows.push(Array.from(map.values.subarray(row * map.width, (row + 1) * map.width)));
  return rows;
}

test('an id multimap gives back every row of a key, in the order added, whether ids are dense or sparse', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      // Small keys take the table indexed by id; keys near 2^48 the map.
      fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 2 ** 47, max: 2 ** 47 + 50 })),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 })), { maxLength: 3000 }),
      (width, base, entries) => {
        const builder = new IdMultimapBuilder(width);
        const expected = new Map<number, number[][]>();
        for (const [offset, values] of entries) {
          const key = base + offset;
          const at = builder.add(key);
          const row = values.slice(0, width);
          row.forEach((value, i) => (builder.rowValues[at + i] = value));
          expected.set(key, [...(expected.get(key) ?? []), row]);
        }
        const map = builder.build();
        for (let offset = -1; offset <= 21; offset++) assert.deepEqual(rowsOf(map, base + offset), expected.get(base + offset) ?? []);
      },
    ),
    { numRuns: 200 },
  );
});
