// asc: --runtime stub
// An interpreter-style guest: a small stack-machine bytecode run by a dispatch loop over a
// `switch` (a large `br_table` once compiled), the shape of JavaScript engines, Lua and SQLite's
// VDBE compiled to wasm. Fuel must count what the dispatch executes, not whole cases.

const PUSH: u8 = 0; // push the next i32 immediate
const ADD: u8 = 1;
const SUB: u8 = 2;
const MUL: u8 = 3;
const DUP: u8 = 4;
const SWAP: u8 = 5;
const DROP: u8 = 6;
const JNZ: u8 = 7; // pop; if non-zero jump to the i32 immediate
const LOAD: u8 = 8; // push local[imm]
const STORE: u8 = 9; // local[imm] = pop
const MOD: u8 = 10;
const LT: u8 = 11;
const HALT: u8 = 12;
const XOR: u8 = 13;
const SHL: u8 = 14;
const SHR: u8 = 15;

const code = new StaticArray<u8>(256);
const stack = new StaticArray<i32>(64);
const locals = new StaticArray<i32>(8);
let length = 0;

function emit(op: u8): void {
  code[length++] = op;
}

function emitImm(op: u8, value: i32): void {
  code[length++] = op;
  store<i32>(changetype<usize>(code) + length, value);
  length += 4;
}

function imm(pc: i32): i32 {
  return load<i32>(changetype<usize>(code) + pc);
}

/** Assembles: acc = 0; for (i = n; i != 0; i--) acc = (acc * 31 + (i ^ (i << 3)) % 1000) >> 1 ... */
function assemble(): void {
  length = 0;
  emitImm(STORE, 0); // local0 = n (the argument, pushed by run)
  emitImm(PUSH, 7);
  emitImm(STORE, 1); // acc = 7
  const loop = length;
  emitImm(LOAD, 1);
  emitImm(PUSH, 31);
  emit(MUL);
  emitImm(LOAD, 0);
  emit(DUP);
  emitImm(PUSH, 3);
  emit(SHL);
  emit(XOR);
  emitImm(PUSH, 1000);
  emit(MOD);
  emit(ADD);
  emitImm(PUSH, 1);
  emit(SHR);
  emitImm(STORE, 1);
  emitImm(LOAD, 0);
  emitImm(PUSH, 1);
  emit(SUB);
  emit(DUP);
  emitImm(STORE, 0);
  emitImm(JNZ, loop);
  emitImm(LOAD, 1);
  emit(HALT);
}

/** Runs the program for `n` iterations; returns its accumulator. */
export function run(n: i32): i32 {
  if (length == 0) assemble();
  let sp = 0;
  stack[sp++] = n;
  let pc = 0;
  while (true) {
    const op = code[pc++];
    switch (op) {
      case PUSH: stack[sp++] = imm(pc); pc += 4; break;
      case ADD: { const b = stack[--sp]; stack[sp - 1] += b; break; }
      case SUB: { const b = stack[--sp]; stack[sp - 1] -= b; break; }
      case MUL: { const b = stack[--sp]; stack[sp - 1] *= b; break; }
      case DUP: { stack[sp] = stack[sp - 1]; sp++; break; }
      case SWAP: { const t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case DROP: sp--; break;
      case JNZ: { const target = imm(pc); pc += 4; if (stack[--sp] != 0) pc = target; break; }
      case LOAD: stack[sp++] = locals[imm(pc)]; pc += 4; break;
      case STORE: locals[imm(pc)] = stack[--sp]; pc += 4; break;
      case MOD: { const b = stack[--sp]; stack[sp - 1] = b == 0 ? 0 : stack[sp - 1] % b; break; }
      case LT: { const b = stack[--sp]; stack[sp - 1] = i32(stack[sp - 1] < b); break; }
      case XOR: { const b = stack[--sp]; stack[sp - 1] ^= b; break; }
      case SHL: { const b = stack[--sp]; stack[sp - 1] <<= b; break; }
      case SHR: { const b = stack[--sp]; stack[sp - 1] >>= b; break; }
      case HALT: return stack[--sp];
      default: unreachable();
    }
  }
}

/** The same computation written directly, to check the interpreter. */
export function direct(n: i32): i32 {
  let i = n;
  let acc = 7;
  do {
    acc = (acc * 31 + (i ^ (i << 3)) % 1000) >> 1;
    i--;
  } while (i != 0);
  return acc;
}
