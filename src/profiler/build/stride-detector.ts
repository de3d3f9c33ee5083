/**
 * The stride pattern of one access stream (one function's loads, or stores, of one width, in
 * program order: a stand-in for an access site, since the hooks carry no site id),
 * without depending on any cache geometry. Per stream: the deltas between consecutive
 * addresses, how many repeat the previous delta, and the majority delta (Boyer–Moore vote).
 * At least half the deltas repeating makes the stream regular: `sequential` when the majority
 * delta is within the access size (contiguous, either direction), else `strided`; otherwise
 * `irregular`. The wasm recorder keeps the same five numbers per function.
 */
import type { StridePattern } from '../model/cache-report.js';

export interface StrideState {
  deltas: number;
  repeats: number;
  candidate: number;
  votes: number;
  /** Largest access seen, bytes. */
  maxBytes: number;
  /** Internal: last address, previous delta (NaN until seen). */
  last: number;
  previous: number;
}

export function emptyStride(): StrideState {
  return { deltas: 0, repeats: 0, candidate: 0, votes: 0, maxBytes: 0, last: Number.NaN, previous: Number.NaN };
}

export function observeStride(state: StrideState, address: number, bytes: number): void {
  if (bytes > state.maxBytes) state.maxBytes = bytes;
  if (!Number.isNaN(state.last)) {
    const delta = address - state.last;
    state.deltas++;
    if (delta === state.previous) state.repeats++;
    state.previous = delta;
    if (state.votes === 0) {
      state.candidate = delta;
      state.votes = 1;
    } else if (delta === state.candidate) {
      state.votes++;
    } else {
      state.votes--;
    }
  }
  state.last = address;
}

export function classifyStride(state: Pick<StrideState, 'deltas' | 'repeats' | 'candidate' | 'maxBytes'>): StridePattern {
  if (state.deltas === 0 || state.repeats * 2 < state.deltas) return { kind: 'irregular' };
  const stride = state.candidate;
  return stride !== 0 && Math.abs(stride) <= state.maxBytes ? { kind: 'sequential', bytes: stride } : { kind: 'strided', bytes: stride };
}

/** Streams per function: loads and stores, each of width 1, 2, 4, 8, 16 or other bytes. */
export const STREAMS_PER_FUNCTION = 12;
const WIDTHS = [1, 2, 4, 8, 16];

/** The stream a reference belongs to within its function's block. */
export function streamClass(write: boolean, bytes: number): number {
  const width = WIDTHS.indexOf(bytes);
  return (write ? 6 : 0) + (width < 0 ? 5 : width);
}

/** What a stream class stands for. */
export function streamOfClass(index: number): { readonly kind: 'load' | 'store'; readonly bytes: number | undefined } {
  return { kind: index < 6 ? 'load' : 'store', bytes: WIDTHS[index % 6] };
}
