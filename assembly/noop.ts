// asc: --runtime stub
// The smallest useful guest: measures pure call overhead.
export function noop(): void {}
