// asc: --runtime stub
// Raw memory growth, as a guest allocator would do it.
export function grow(pages: i32): i32 {
  return memory.grow(pages);
}

export function pages(): i32 {
  return memory.size();
}

/** Grows one page at a time until growth fails; returns the number of pages gained. */
export function growUntilFail(): i32 {
  let gained = 0;
  while (memory.grow(1) >= 0) gained++;
  return gained;
}

/** Writes then reads the last byte of memory: proves growth made memory usable. */
export function touchLast(): i32 {
  const last = (<usize>memory.size() << 16) - 1;
  store<u8>(last, 42);
  return load<u8>(last);
}
