import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** build/guests/ of this package, from src/cli/ (tests) or dist/src/cli/ (installed). */
export function bundledGuestDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const fromDist = join(here, '..', '..', '..', 'build', 'guests');
  const fromSource = join(here, '..', '..', 'build', 'guests');
  return here.includes(`${join('dist', 'src')}`) ? fromDist : fromSource;
}

export function bundledGuest(name: string): string {
  return join(bundledGuestDir(), `${name}.wasm`);
}
