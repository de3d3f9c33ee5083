/**
 * bench/macro's request-handling inputs, shared with bench/tuner: 64 JSON-like payloads of
 * ~150 bytes that macro-request.wasm parses and transforms, and the typed signature of `handle`.
 */
const encoder = new TextEncoder();

export const requestPayloads: readonly Uint8Array[] = Array.from({ length: 64 }, (_, i) =>
  encoder.encode(JSON.stringify({ id: 10_000 + i, user: `user-${i}`, items: [{ sku: `ab-${i}`, qty: 1 + (i % 7) }, { sku: 'cd-2', qty: 12 }], note: 'hello, world', total: 4599 + i })),
);

export const bytesSig = { signature: { params: ['Uint8Array'], result: 'Uint8Array' } } as const;
