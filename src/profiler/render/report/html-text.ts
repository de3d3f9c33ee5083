/**
 * Text into HTML. Every string the report shows passes through `text` (or `name`, for guest
 * text: shortened and control characters made visible first), so a function called
 * `<img src=x onerror=…>` stays characters on the page wherever it appears.
 */
import { guestText } from '../../../untrusted-text.js';

const ENTITIES: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' };

/** Escaped for element content and quoted attribute values alike. */
export function text(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ENTITIES[c]!);
}

/** Guest text (a function, export or module name): shortened, controls escaped, then HTML-escaped. */
export function name(value: string, max?: number): string {
  return text(guestText(value, max));
}

/** JSON that cannot end its script element or open a comment there, whatever the strings hold. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A number with at most `digits` decimals and thousands grouped (the report's one number style). */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function percent(share: number, digits = 1): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(digits)} %` : '—';
}
