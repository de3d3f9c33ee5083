// asc: --exportRuntime
// bench/macro's request handler: parses a small JSON-like payload and transforms it — string
// values upper-cased, integers doubled, everything else kept — as a service would per request.
// `handle` takes and returns bytes through the typed-call layer; `handleAt` does the same work
// on fixed buffers (inputPtr/outputPtr), for a peer that moves the bytes by hand.
export const Uint8Array_ID = idof<Uint8Array>();

const IN = new Uint8Array(64 * 1024);
const OUT = new Uint8Array(2 * 64 * 1024 + 16);

/** Writes the transform of `length` bytes at `src` to `dst`; returns the bytes written. */
function transform(src: usize, length: i32, dst: usize): i32 {
  let out: usize = dst;
  let inString = false;
  let i = 0;
  while (i < length) {
    const c = <u32>load<u8>(src + <usize>i);
    if (c == 0x22) {
      inString = !inString;
      store<u8>(out++, <u8>c);
      i++;
    } else if (inString) {
      store<u8>(out++, <u8>(c >= 0x61 && c <= 0x7a ? c - 32 : c));
      i++;
    } else if (c >= 0x30 && c <= 0x39) {
      // An integer: parsed, doubled, written back in decimal.
      let value: u64 = 0;
      while (i < length) {
        const d = <u32>load<u8>(src + <usize>i);
        if (d < 0x30 || d > 0x39) break;
        value = value * 10 + <u64>(d - 0x30);
        i++;
      }
      value *= 2;
      let digits = 1;
      for (let v = value; v >= 10; v /= 10) digits++;
      for (let k = digits - 1; k >= 0; k--) {
        store<u8>(out + <usize>k, <u8>(0x30 + <u32>(value % 10)));
        value /= 10;
      }
      out += <usize>digits;
    } else {
      store<u8>(out++, <u8>c);
      i++;
    }
  }
  return <i32>(out - dst);
}

export function handle(request: Uint8Array): Uint8Array {
  const out = new Uint8Array(request.length * 2 + 16);
  const n = transform(request.dataStart, request.length, out.dataStart);
  return out.slice(0, n);
}

export function inputPtr(): usize {
  return IN.dataStart;
}

export function outputPtr(): usize {
  return OUT.dataStart;
}

export function handleAt(length: i32): i32 {
  return transform(IN.dataStart, min(length, IN.length), OUT.dataStart);
}
