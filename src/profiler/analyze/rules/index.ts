/** The rules `analyze()` runs by default, in the order they are listed when they pass. */
import type { AnalysisRule } from '../rule.js';
import { allocationHotSpot } from './allocation-hot-spot.js';
import { coldStartCompile } from './cold-start-compile.js';
import { errorRate } from './error-rate.js';
import { hostCallOverhead } from './host-call-overhead.js';
import { hostImports } from './host-imports.js';
import { hotFunction } from './hot-function.js';
import { leak } from './leak.js';
import { limitApproached } from './limit-approached.js';
import { limitExhausted } from './limit-exhausted.js';
import { memoryGrowth } from './memory-growth.js';
import { moduleCache } from './module-cache.js';
import { poolQueueWait } from './pool-queue-wait.js';
import { poolSaturation } from './pool-saturation.js';
import { poolSpinning } from './pool-spinning.js';
import { poorLocality } from './poor-locality.js';
import { tailLatency } from './tail-latency.js';
import { trapStorm } from './trap-storm.js';

export const DEFAULT_RULES: readonly AnalysisRule[] = [
  hotFunction,
  hostCallOverhead,
  hostImports,
  memoryGrowth,
  allocationHotSpot,
  leak,
  poorLocality,
  coldStartCompile,
  moduleCache,
  errorRate,
  trapStorm,
  limitExhausted,
  limitApproached,
  tailLatency,
  poolQueueWait,
  poolSaturation,
  poolSpinning,
];
