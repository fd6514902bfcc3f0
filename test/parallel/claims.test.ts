import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { claim, claimFirst, claimsTable, laneFor, offer, revoke } from '../../lib/parallel/internal/claims.js';

describe('claims', () => {
  it('a micro-batch offered once is claimed once: the second claimant skips it', () => {
    const table = offer(claimsTable(4), 2, 1);
    expect(claim(table.array, 2, 1)).toBe(true);
    expect(claim(table.array, 2, 1)).toBe(false);
  });

  it('a micro-batch still queued from an earlier window cannot be claimed once its index is offered in a later one', () => {
    const table = offer(offer(claimsTable(4), 0, 1), 0, 2);
    expect(claim(table.array, 0, 1)).toBe(false);
    expect(claim(table.array, 0, 2)).toBe(true);
  });

  it('a revoked micro-batch is skipped by its worker', () => {
    const table = offer(claimsTable(4), 1, 3);
    revoke(table.array, 1, 3);
    expect(claim(table.array, 1, 3)).toBe(false);
  });

  it('an index past the end grows the table; what was offered in the old one is claimed in the old one', () => {
    const small = offer(claimsTable(2), 1, 1);
    const grown = offer(small, 2, 1);
    expect(grown).not.toBe(small);
    expect(grown.array.length).toBe(4);
    expect(offer(grown, 3, 1)).toBe(grown);
    expect(claim(small.array, 1, 1)).toBe(true);
    expect(claim(grown.array, 2, 1)).toBe(true);
  });

  prop.prop([fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 8 })])(
    'round robin: lane w takes the indices w, w + k, w + 2k, ..., so lanes differ by at most one micro-batch',
    (count, lanes) => {
      const perLane = Array<number>(lanes).fill(0);
      for (let index = 0; index < count; index++) {
        const lane = laneFor(index, lanes);
        expect(lane).toBe(index % lanes);
        perLane[lane]! += 1;
      }
      expect(Math.max(...perLane) - Math.min(...perLane)).toBeLessThanOrEqual(1);
    },
  );

  prop.prop([fc.integer({ min: 1, max: 150 }), fc.array(fc.nat(), { maxLength: 40 })])(
    'the main thread claims the first micro-batch no worker has begun, and never one twice, across a grown table',
    (count, workerTakes) => {
      // Sent in order, each in the table in force when it was offered (64 indices, then grown).
      let table = claimsTable();
      const sent = new Map<number, { claims: Int32Array }>();
      for (let index = 0; index < count; index++) {
        table = offer(table, index, 1);
        sent.set(index, { claims: table.array });
      }
      const byWorkers = new Set(workerTakes.map((i) => i % count).filter((i) => claim(sent.get(i)!.claims, i, 1)));
      const byMain: number[] = [];
      for (let index = claimFirst(sent, 1); index !== undefined; index = claimFirst(sent, 1)) byMain.push(index);
      expect(byMain).toEqual(Array.from({ length: count }, (_, i) => i).filter((i) => !byWorkers.has(i)));
    },
  );
});
