/**
 * A caller- or guest-supplied name as it appears in the pool's messages: quoted, control
 * characters escaped, and shortened so one hostile name cannot flood a log line.
 */
const MAX_NAME = 80;

export function quoted(name: string): string {
  const short = name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name;
  return JSON.stringify(short).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
