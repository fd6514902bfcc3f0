import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/checkpoint/internal/format.js';

// The FIPS 180-2 example: SHA-256 of "abc".
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256, as checksums.json records it', () => {
  it("gives the FIPS 180-2 digest of 'abc' with Node's crypto and with WebCrypto (the browsers' path)", async () => {
    const abc = new TextEncoder().encode('abc');
    expect(await sha256(abc)).toBe(ABC);
    expect(await sha256(abc, null)).toBe(ABC);
    expect(await sha256(abc, { createHash })).toBe(ABC);
  });

  test.prop([fc.uint8Array({ maxLength: 5000 })], { numRuns: 50 })('Node crypto and WebCrypto agree on any bytes, a view into a larger buffer included', async (bytes) => {
    const view = new Uint8Array(bytes.byteLength + 8).subarray(3, 3 + bytes.byteLength);
    view.set(bytes);
    const viaNode = await sha256(view, { createHash });
    expect(await sha256(view, null)).toBe(viaNode);
    expect(viaNode).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
