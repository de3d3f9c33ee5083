/**
 * Deadlines for modules the instrumentation engine cannot rewrite: each call (and the
 * instantiation) runs inside `vm.runInContext(…, { timeout })`, which stops wasm on this
 * thread through V8's termination. It costs tens of microseconds per call (bench/instrument
 * measures it next to the injected checks), so the host uses it only as the fallback.
 */
import vm from 'node:vm';
import { DeadlineExceededError } from '../errors.js';

const CALL = new vm.Script('target(...args)');

export class VmDeadline {
  private readonly context = vm.createContext({ target: undefined, args: undefined });

  constructor(
    readonly timeoutMs: number,
    private readonly label: string,
  ) {}

  /** Runs `target(...args)` (a guest call, or an instantiation and its start function) under the timeout. */
  call(target: (...args: never[]) => unknown, args: unknown[], where = `${this.label}: (start function)`): unknown {
    const context = this.context as { target: unknown; args: unknown };
    context.target = target;
    context.args = args;
    try {
      return this.run(CALL, where);
    } finally {
      context.target = undefined;
      context.args = undefined;
    }
  }

  private run(script: vm.Script, where: string): unknown {
    const started = performance.now();
    try {
      return script.runInContext(this.context, { timeout: this.timeoutMs });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        const elapsed = performance.now() - started;
        throw new DeadlineExceededError(
          `${where}: guest exceeded its deadline of ${this.timeoutMs} ms (stopped after ${elapsed.toFixed(1)} ms by V8 termination)`,
          this.timeoutMs,
          elapsed,
        );
      }
      throw error;
    }
  }
}
