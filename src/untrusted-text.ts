/**
 * Text a guest controls (function and export names, abort messages, file names, trap text)
 * reaches logs, terminals, SVG and HTML. Shown anywhere, it is escaped and shortened here:
 * control characters (C0 and C1, DEL, ESC — so no ANSI sequences, no CR/LF log injection, no
 * NUL) and the bidi overrides that can reorder what a reader sees become `\xNN`/`\uNNNN`, and
 * long text keeps its start and end around a marker saying how much was cut.
 */

/** Longest guest text kept in messages and labels, in characters. */
export const MAX_GUEST_TEXT = 200;

const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters and bidi overrides as visible escapes. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** At most `max` characters (code points): the start and end, and how many were left out. */
export function shorten(text: string, max: number = MAX_GUEST_TEXT): string {
  if (text.length <= max) return text;
  const chars = [...text];
  if (chars.length <= max) return text;
  const keep = Math.max(2, max - 24);
  const head = chars.slice(0, Math.ceil(keep * 0.75)).join('');
  const tail = chars.slice(chars.length - Math.floor(keep * 0.25)).join('');
  return `${head}…[${chars.length - Math.ceil(keep * 0.75) - Math.floor(keep * 0.25)} chars cut]…${tail}`;
}

/** Guest text as it may appear in a message, a terminal line or a label. */
export function guestText(text: string, max: number = MAX_GUEST_TEXT): string {
  // Shortened first (on the raw text), so an escape sequence is never cut in half.
  return escapeControls(shorten(text, max));
}
