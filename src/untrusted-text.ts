/**
 * Text a guest controls (function and export names, abort messages, file names, trap text)
 * reaches logs, terminals, SVG and HTML. Shown anywhere, it is escaped and shortened here:
 * control characters (C0 and C1, DEL, ESC — so no ANSI sequences, no CR/LF log injection, no
 * NUL), the bidi controls that can reorder what a reader sees, and the Unicode line and
 * paragraph separators become `\xNN`/`\uNNNN`, and long text keeps its start and end around a
 * marker saying how much was cut. Both steps are idempotent: sanitising twice changes nothing.
 */

/** Longest guest text kept in messages and labels, in characters (code points). */
export const MAX_GUEST_TEXT = 200;

/** Longest guest prose kept in a message or field: an abort message, a trace line. */
export const MAX_GUEST_MESSAGE = 1000;

/** Longest error message (every WasmSandboxError's message is cut to this), and CLI line. */
export const MAX_ERROR_MESSAGE = 2000;

// C0, DEL, C1; ALM, LRM, RLM; LINE/PARAGRAPH SEPARATOR; LRE…RLO; LRI…PDI.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Control characters, bidi controls and line separators as visible escapes. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, escapeOne);
}

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Characters a code point takes once escaped: 1, or 4 (`\xNN`) / 6 (`\uNNNN`) for a control. */
function escapedWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return 4;
  if (cp === 0x061c || cp === 0x200e || cp === 0x200f || cp === 0x2028 || cp === 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 6;
  return 1;
}

const plainWidth = (): number => 1;

/**
 * Keeps the start and end of `text` so that the result, measured with `width` per code point,
 * fits in `max` with the marker; walks the string without copying it (a name may be 1 MiB).
 */
function cut(text: string, max: number, width: (cp: number) => number, render: (part: string) => string): string {
  let total = 0;
  let count = 0;
  for (let i = 0; i < text.length; count++) {
    const cp = text.codePointAt(i)!;
    total += width(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  if (total <= max) return render(text);
  const keep = Math.max(2, max - 24); // the marker takes ≤ 24 characters
  const headBudget = Math.ceil(keep * 0.75);
  const tailBudget = keep - headBudget;
  let head = 0;
  let headCount = 0;
  for (let used = 0; head < text.length; headCount++) {
    const cp = text.codePointAt(head)!;
    if (used + width(cp) > headBudget) break;
    used += width(cp);
    head += cp > 0xffff ? 2 : 1;
  }
  let tail = text.length;
  let tailCount = 0;
  for (let used = 0; tail > head; tailCount++) {
    const low = text.charCodeAt(tail - 1);
    const pair = low >= 0xdc00 && low <= 0xdfff && tail - 2 >= head && (text.charCodeAt(tail - 2) & 0xfc00) === 0xd800;
    const cp = text.codePointAt(pair ? tail - 2 : tail - 1)!;
    if (used + width(cp) > tailBudget) break;
    used += width(cp);
    tail -= pair ? 2 : 1;
  }
  return `${render(text.slice(0, head))}…[${count - headCount - tailCount} chars cut]…${render(text.slice(tail))}`;
}

/** At most `max` characters (code points): the start and end, and how many were left out. */
export function shorten(text: string, max: number = MAX_GUEST_TEXT): string {
  return cut(text, max, plainWidth, (part) => part);
}

/**
 * Guest text as it may appear in a message, a field, a terminal line or a label: control
 * characters escaped, at most `max` characters once escaped (an escape is never cut in half).
 */
export function guestText(text: string, max: number = MAX_GUEST_TEXT): string {
  return cut(text, max, escapedWidth, escapeControls);
}
