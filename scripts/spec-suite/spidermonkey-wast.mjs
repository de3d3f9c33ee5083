// Rebuilds .wast scripts from SpiderMonkey's copies of the spec tests (`*.wast.js`, made by
// Mozilla's wast2js: one JavaScript call per wast command, text modules in template literals,
// each command preceded by a `// ./test/core/NAME.wast:LINE` comment). The JavaScript runs in
// a vm context whose functions print the command back as wast instead of executing it.
//
// JavaScript loses some types a wast command spells out: a plain number argument (i32, or an
// f32/f64 the export converts), `null` (a funcref or an externref), `canonical_nan` (f32 or
// f64). Those are written with a placeholder type and listed in `fixups`; the caller retypes
// them from the export's signature once wast2json has assembled the module.
import vm from 'node:vm';
import { wastString } from './wast-forms.mjs';

const MARKER = /^\s*\/\/ \.\/test\/core\/.*?\.wast:(\d+)(?::\d+)?\s*$/;
const SCRIPT_NAME = 'spidermonkey-spec.js';

class Unconvertible extends Error {}

/** A wast constant; `raw` holds the JavaScript value when the type is the export's to decide. */
class Const {
  constructor(text, raw = undefined) {
    this.text = text;
    this.raw = raw;
  }
}

const NAN_STRINGS = { canonical_nan: 'nan:canonical', arithmetic_nan: 'nan:arithmetic' };
const unescape = (text) => text.replace(/\$\$/g, '$'); // wast2js doubles every `$` (template literals)

export function f32Literal(bits) {
  const sign = bits >>> 31 ? '-' : '';
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? `${sign}inf` : `${sign}nan:0x${mantissa.toString(16)}`;
  const digits = (mantissa << 1).toString(16).padStart(6, '0');
  return exponent === 0 ? `${sign}0x0.${digits}p-126` : `${sign}0x1.${digits}p${exponent - 127}`;
}

export function f64Literal(bits) {
  const sign = bits >> 63n ? '-' : '';
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & 0xfffffffffffffn;
  if (exponent === 0x7ff) return mantissa === 0n ? `${sign}inf` : `${sign}nan:0x${mantissa.toString(16)}`;
  const digits = mantissa.toString(16).padStart(13, '0');
  return exponent === 0 ? `${sign}0x0.${digits}p-1022` : `${sign}0x1.${digits}p${exponent - 1023}`;
}

const f32Bits = (number) => new Uint32Array(Float32Array.of(number).buffer)[0];
const f64Bits = (number) => new BigUint64Array(Float64Array.of(number).buffer)[0];

function floatConst(type, number) {
  return type === 'f32' ? `(f32.const ${f32Literal(f32Bits(number))})` : `(f64.const ${f64Literal(f64Bits(number))})`;
}

const REF_NULL = { externref: 'extern', funcref: 'func', anyfunc: 'func' };

function valueConst(type, value) {
  switch (type) {
    case 'i32':
      return new Const(`(i32.const ${value})`);
    case 'i64':
      return new Const(`(i64.const ${BigInt(value)})`);
    case 'f32':
    case 'f64':
      return new Const(floatConst(type, value));
    default:
      if (type in REF_NULL && value === null) return new Const(`(ref.null ${REF_NULL[type]})`);
      if (type === 'externref' && isExternref(value)) return new Const(`(ref.extern ${value.externref})`);
      return { unconvertible: `value of type ${type}` };
  }
}

function bytesConst(type, bytes) {
  const buffer = Uint8Array.from(bytes).buffer;
  if (type === 'f32') return new Const(`(f32.const ${f32Literal(new Uint32Array(buffer)[0])})`);
  if (type === 'f64') return new Const(`(f64.const ${f64Literal(new BigUint64Array(buffer)[0])})`);
  if (type === 'v128' && bytes.length === 16) return v128('i8x16', bytes);
  return { unconvertible: `bytes of type ${type}` };
}

const isExternref = (value) => typeof value === 'object' && value !== null && 'externref' in value;

function laneText(shape, lane) {
  if (typeof lane?.unconvertible === 'string') throw new Unconvertible(lane.unconvertible);
  if (typeof lane === 'string' && lane in NAN_STRINGS) return NAN_STRINGS[lane];
  if (lane instanceof Const) return lane.text.replace(/^\(f(32|64)\.const (.*)\)$/, '$2');
  if (shape === 'f32x4' || shape === 'f64x2') return floatConst(shape.slice(0, 3), lane).replace(/^\(f(32|64)\.const (.*)\)$/, '$2');
  return String(lane);
}

function v128(shape, lanes) {
  // Built while the command's arguments are evaluated, before the command can catch.
  if (lanes.some((lane) => typeof lane?.unconvertible === 'string')) return { unconvertible: `a ${shape} lane` };
  return new Const(`(v128.const ${shape} ${[...lanes].map((lane) => laneText(shape, lane)).join(' ')})`);
}

/** An argument as wast; untyped JavaScript values get a placeholder and a fix-up. */
function argument(value) {
  if (value instanceof Const) return value;
  if (typeof value?.unconvertible === 'string') throw new Unconvertible(value.unconvertible);
  if (typeof value === 'number') return new Const('(i32.const 0)', value);
  if (typeof value === 'bigint') return new Const(`(i64.const ${value})`);
  if (value === null) return new Const('(ref.null extern)', null);
  if (isExternref(value)) return new Const(`(ref.extern ${value.externref})`);
  throw new Unconvertible(`argument ${String(value)}`);
}

function result(value) {
  if (value instanceof Const) return value;
  if (typeof value?.unconvertible === 'string') throw new Unconvertible(value.unconvertible);
  if (typeof value === 'string' && value in NAN_STRINGS) return new Const(`(f32.const ${NAN_STRINGS[value]})`, value);
  if (typeof value === 'number') return new Const('(i32.const 0)', value);
  throw new Unconvertible(`expected result ${typeof value === 'object' ? value?.constructor?.name : String(value)}`);
}

/**
 * @param {string} source the `.wast.js` text
 * @returns {{ commands: { line: number, text: string, fixups?: object }[], dropped: { line: number, reason: string }[] }}
 */
export function rebuildWast(source) {
  const lines = source.split('\n');
  const markerAt = []; // JavaScript line (1-based) → wast line of the last marker at or above it
  let current = 0;
  lines.forEach((text, i) => {
    const match = MARKER.exec(text);
    if (match) current = Number(match[1]);
    markerAt[i + 1] = current;
  });

  const commands = [];
  const dropped = [];
  const registered = new Map();
  let modules = 0;
  let inThunk = 0;

  /** The wast line of the outermost script frame: the command being written. */
  function wastLine() {
    const saved = Error.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = 64;
    const holder = {};
    Error.captureStackTrace(holder);
    const sites = holder.stack;
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = limit;
    const frames = sites.filter((site) => site.getFileName() === SCRIPT_NAME);
    const js = frames[frames.length - 1]?.getLineNumber() ?? 0;
    return markerAt[js] ?? 0;
  }

  function command(kind, build) {
    const line = wastLine();
    try {
      const { text, fixups } = build();
      commands.push(fixups === undefined ? { line, text } : { line, text, fixups });
    } catch (error) {
      if (!(error instanceof Unconvertible)) throw error;
      dropped.push({ line, kind, reason: `cannot be rebuilt from SpiderMonkey's script: ${error.message}` });
    }
  }

  const handle = (instanceish) => {
    const found = typeof instanceish === 'string' ? registered.get(unescape(instanceish)) : instanceish;
    if (found?.name === undefined) throw new Unconvertible(`unknown instance ${String(instanceish)}`);
    return found.name;
  };

  function thunkResult(thunk) {
    inThunk++;
    try {
      return thunk();
    } finally {
      inThunk--;
    }
  }

  function moduleText(text) {
    const plain = unescape(text).trim();
    return /^\(\s*module\b/.test(plain) ? plain : `(module ${plain})`;
  }

  function action(kind, instanceish, field, params) {
    const args = params.map(argument);
    const text = `(${kind} ${handle(instanceish)} ${wastString(unescape(field))}${args.map((a) => ' ' + a.text).join('')})`;
    const untyped = args.flatMap((a, index) => (a.raw === undefined ? [] : [{ index, raw: a.raw }]));
    return { action: text, untypedArgs: untyped };
  }

  function asAction(value) {
    if (value?.action === undefined) throw new Unconvertible('an assertion on something other than an action');
    return value;
  }

  function asModule(value) {
    if (value?.module === undefined) throw new Unconvertible('an assertion on something other than a module');
    return value.module;
  }

  function fixupsOf(act, expected = []) {
    const results = expected.flatMap((e, index) => (e.raw === undefined ? [] : [{ index, raw: e.raw }]));
    if (act.untypedArgs.length === 0 && results.length === 0) return undefined;
    return { args: act.untypedArgs, results };
  }

  // JS values cross as raw numbers/BigInts/strings/null in fix-ups: kept serialisable.
  const serialisable = (fixups) =>
    fixups === undefined ? undefined : JSON.parse(JSON.stringify(fixups, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));

  const dsl = {
    instantiate(text) {
      if (inThunk > 0) return { module: text };
      const name = `$m${modules++}`;
      const wast = moduleText(text).replace(/^\(\s*module(\s+\$[^\s()";]+)?/, `(module ${name}`);
      command('module', () => ({ text: wast }));
      return { name };
    },
    register(instanceish, as) {
      const target = typeof instanceish === 'string' ? registered.get(unescape(instanceish)) : instanceish;
      registered.set(unescape(as), target);
      command('register', () => ({ text: `(register ${wastString(unescape(as))} ${handle(target)})` }));
    },
    invoke(instanceish, field, params) {
      if (inThunk > 0) return action('invoke', instanceish, field, params);
      command('action', () => {
        const act = action('invoke', instanceish, field, params);
        return { text: act.action, fixups: serialisable(fixupsOf(act)) };
      });
      return undefined;
    },
    get(instanceish, field) {
      if (inThunk > 0) return action('get', instanceish, field, []);
      command('action', () => ({ text: action('get', instanceish, field, []).action }));
      return undefined;
    },
    assert_return(thunk, expected) {
      command('assert_return', () => {
        const act = asAction(thunkResult(thunk));
        const results = expected.map(result);
        return { text: `(assert_return ${act.action}${results.map((r) => ' ' + r.text).join('')})`, fixups: serialisable(fixupsOf(act, results)) };
      });
    },
    assert_trap(thunk, message) {
      command('assert_trap', () => {
        const value = thunkResult(thunk);
        if (value?.module !== undefined) return { text: `(assert_trap ${moduleText(value.module)} ${wastString(unescape(message))})` };
        const act = asAction(value);
        return { text: `(assert_trap ${act.action} ${wastString(unescape(message))})`, fixups: serialisable(fixupsOf(act)) };
      });
    },
    assert_exhaustion(thunk, message) {
      command('assert_exhaustion', () => {
        const act = asAction(thunkResult(thunk));
        return { text: `(assert_exhaustion ${act.action} ${wastString(unescape(message))})`, fixups: serialisable(fixupsOf(act)) };
      });
    },
    assert_exception(thunk) {
      command('assert_exception', () => {
        const act = asAction(thunkResult(thunk));
        return { text: `(assert_exception ${act.action})`, fixups: serialisable(fixupsOf(act)) };
      });
    },
    assert_invalid(thunk, message) {
      command('assert_invalid', () => ({ text: `(assert_invalid ${moduleText(asModule(thunkResult(thunk)))} ${wastString(unescape(message))})` }));
    },
    assert_unlinkable(thunk, message) {
      command('assert_unlinkable', () => ({ text: `(assert_unlinkable ${moduleText(asModule(thunkResult(thunk)))} ${wastString(unescape(message))})` }));
    },
    assert_malformed(thunk, message) {
      command('assert_malformed', () => {
        const text = unescape(asModule(thunkResult(thunk))).trim();
        // Binary modules are written as wast; anything else was the text of a `(module quote …)`.
        const module = /^\(\s*module\s+binary\b/.test(text) ? text : `(module quote ${wastString(text)})`;
        return { text: `(assert_malformed ${module} ${wastString(unescape(message))})` };
      });
    },
    value: valueConst,
    bytes: bytesConst,
    i8x16: (lanes) => v128('i8x16', lanes),
    i16x8: (lanes) => v128('i16x8', lanes),
    i32x4: (lanes) => v128('i32x4', lanes),
    i64x2: (lanes) => v128('i64x2', lanes),
    f32x4: (lanes) => v128('f32x4', lanes),
    f64x2: (lanes) => v128('f64x2', lanes),
    F32x4Pattern: function (x, y, z, w) {
      return v128('f32x4', [x, y, z, w]);
    },
    F64x2Pattern: function (x, y) {
      return v128('f64x2', [x, y]);
    },
    externref: (n) => ({ externref: n }),
    ExternRefResult: function (n) {
      return new Const(`(ref.extern ${n})`);
    },
    either: () => ({ unconvertible: 'either(…) alternatives' }),
    RefWithType: function () {
      return { unconvertible: 'RefWithType (GC reference types)' };
    },
    HostRefResult: function () {
      return { unconvertible: 'HostRefResult' };
    },
    hostref: () => ({ unconvertible: 'hostref' }),
    // Capability probes the scripts branch on: answered for Node 20 (V8 11.3).
    wasmIsSupported: () => true,
    wasmSimdEnabled: () => true,
    wasmTailCallsEnabled: () => true,
    wasmMultiMemoryEnabled: () => false,
    partialOobWriteMayWritePartialData: () => false,
    quit: () => undefined,
  };
  vm.runInContext(source, vm.createContext({ ...dsl }), { filename: SCRIPT_NAME });
  return { commands, dropped };
}
