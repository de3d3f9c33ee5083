// The public API: everything a user may import, named on purpose.
export { WasmHost } from './host/host.js';
export type { HostOptions, LoadOptions, MemoryPolicy } from './host/host.js';
export { GuestModule } from './host/guest-module.js';
export type { SandboxOptions, FunctionHooks, MemoryHooks, AllocationHook, CallBoundaryHooks, LinkedHooks } from './host/guest-module.js';
export type { AllocationKind, AllocatorRole } from './instrument/abi.js';
export { DEFAULT_ALLOCATORS } from './instrument/options.js';
export { Sandbox } from './host/sandbox.js';
export type { CallMetrics, CallReport, FastCall, FunctionCounter } from './host/sandbox.js';
export type { InstrumentOptions } from './instrument/options.js';
export { loadInstrumentEngine } from './instrument/engine.js';
export type { Instrumentation } from './host/host.js';
export type { TypedSignature, TypedParam, TypedValue } from './host/typed-call.js';
export type { ModuleInfo, ImportInfo, ExportInfo } from './host/inspect.js';
export type { FunctionType, ValueType, Limits } from './wasm/wasm-binary.js';
export type { ModuleSource } from './host/source.js';
export type { GrantedImports, UnknownImports } from './host/imports.js';
export type { TraceLogger } from './host/assemblyscript.js';
export type { ModuleCacheStats } from './host/module-cache.js';
export { parseArgument } from './host/arguments.js';

export {
  WasmSandboxError,
  WasmInvalidError,
  WasmSourceError,
  WasmImportError,
  ImportNotGrantedError,
  WasmExportNotFoundError,
  WasmArgumentError,
  WasmResultError,
  WasmTrapError,
  WasmMemoryLimitError,
  WasmTableLimitError,
  WasmInstrumentationError,
  BlockingWaitError,
  GuestAbortError,
  GuestExceptionError,
  OutOfFuelError,
  DeadlineExceededError,
  SandboxDiscardedError,
  WorkerCrashedError,
  PoolSaturatedError,
  PoolClosedError,
  PoolModuleNotFoundError,
  SandboxClosedError,
  ResultTooLargeError,
  ReferenceCrossingError,
  RemoteError,
  InvalidOptionError,
  MetricsEndpointError,
  ProfilePushError,
  ProfileFormatError,
  CompareInputError,
  HeapLimitError,
  GuestAllocatorMissingError,
  GuestAllocationFailedError,
} from './errors.js';
export type { ErrorCode, TrapKind, GuestFrame } from './errors.js';

export { formatProfile } from './profiler/render/format-profile.js';
export { formatAllocations } from './profiler/render/format-allocations.js';
export { mergeModuleProfiles, MODULE_PROFILE_SCHEMA } from './profiler/model/module-profile.js';
export type { ModuleProfile, ColdStart, CacheProfile, MemoryProfile } from './profiler/model/module-profile.js';
export type { ExportProfile, TimingPolicy } from './profiler/build/call-recorder.js';
export { DEFAULT_TIMING } from './profiler/build/call-recorder.js';
export { decodeLatencyHistogram, mergeLatency } from './profiler/build/latency-histogram.js';
export type { LatencySummary } from './profiler/build/latency-histogram.js';

export { GuestProfiler, type GuestProfilerOptions } from './host/profiling/guest-profiler.js';
export { DEFAULT_RECORDER_LIMITS, type RecorderLimits } from './host/profiling/call-tree-recorder.js';
export { AllocationProfiler, type AllocationProfilerOptions } from './host/profiling/allocation-profiler.js';
export { GuestHeap, GuestBlock, type GuestHeapOptions } from './host/guest-heap.js';
export { AllocationTracker, type AllocationTrackerOptions } from './profiler/build/allocation-tracker.js';
export { allocationTree, ALLOCATION_WEIGHTS, type AllocationWeight } from './profiler/build/allocation-tree.js';
export { toPprofHeap, HEAP_SAMPLE_TYPES } from './profiler/export/pprof-heap.js';
export { assertHeap, type HeapLimits } from './profiler/analyze/heap-guard.js';
export { diffAllocations, type AllocationDiff, type AllocationSiteDelta } from './profiler/compare/allocation-diff.js';
export {
  ALLOCATION_REPORT_SCHEMA,
  type AllocationReport,
  type AllocationSite,
  type AllocatorInfo,
  type PerCallLeak,
  type MemoryTimelinePoint,
  type SizeBucket,
  type LifetimeStats,
} from './profiler/model/allocation-report.js';
export type { InstrumentedMode } from './host/profiling/guest-profiler.js';
export { profileBySampling } from './host/profiling/sampling-profiler.js';
export { CallTreeBuilder } from './profiler/build/call-tree-builder.js';
export { functionStats, mergeCallTrees, filterTree, CALL_TREE_SCHEMA } from './profiler/model/call-tree.js';
export type { CallTree, CallTreeNode, FunctionStats, ProfileMode, WeightUnit } from './profiler/model/call-tree.js';
export { renderFlamegraph, inlineFlamegraph } from './profiler/render/flamegraph.js';
export type { FlamegraphOptions, InlineFlamegraph } from './profiler/render/flamegraph.js';
export { renderDiffFlamegraph, diffCallTrees } from './profiler/render/diff-flamegraph.js';
export type { DiffFlamegraphOptions, CallTreeDiff, DiffNode } from './profiler/render/diff-flamegraph.js';
export { toFolded, fromFolded } from './profiler/export/folded.js';
export { toSpeedscope } from './profiler/export/speedscope.js';
export type { SpeedscopeFile } from './profiler/export/speedscope.js';
export { toCpuProfile } from './profiler/export/cpuprofile.js';
export type { CpuProfile } from './profiler/export/cpuprofile.js';
export { toPprof, fromPprof, toPprofDiff, fromPprofDiff, PPROF_BASE_LABEL } from './profiler/export/pprof.js';
export { formatTopFunctions } from './profiler/render/format-profile.js';

export { analyze } from './profiler/analyze/analyze.js';
export { DEFAULT_RULES } from './profiler/analyze/rules/index.js';
export type { AnalysisRule, AnalysisInput, AnalyzedModule, RuleOutcome, FindingDraft } from './profiler/analyze/rule.js';
export { logNormalScore } from './profiler/analyze/log-normal-score.js';
export { formatFindings } from './profiler/render/format-findings.js';
export { ANALYSIS_SCHEMA } from './profiler/model/finding.js';
export type { AnalysisReport, Finding, FindingCategory, Severity, Evidence, Confidence } from './profiler/model/finding.js';
export { SAVED_PROFILE_SCHEMA, parseSavedProfile, parseSavedProfileText } from './profiler/model/saved-profile.js';
export type { SavedProfile, ProfiledModule, RunLimits } from './profiler/model/saved-profile.js';
export type { HookOverhead } from './profiler/model/call-tree.js';
export { callOverheadNs } from './host/profiling/call-overhead.js';
export { hookOverhead } from './host/profiling/hook-calibration.js';
// Before/after comparison (docs/compare.md): statistics, bench files, profiles, interleaved A/B, the gate.
export {
  COMPARE_DEFAULTS, medianInterval, mannWhitneyU, smallestPossibleP, holmBonferroni, bootstrapInterval, bootstrapRatioOfMedians,
  geometricMean, compareSamples, decideVerdict, compareExact, detectableChange,
} from './profiler/compare/statistics.js';
export type {
  MedianInterval, MannWhitneyResult, BootstrapInterval, BootstrapOptions, SampleComparison, Verdict, VerdictResult, Better,
} from './profiler/compare/statistics.js';
export { BENCH_SCHEMA } from './profiler/model/bench-result.js';
export type { BenchFile, BenchResult } from './profiler/model/bench-result.js';
export { benchCases } from './profiler/compare/bench-input.js';
export type { BenchCase } from './profiler/compare/bench-input.js';
export { compareBenchmarks } from './profiler/compare/compare-benchmarks.js';
export type { BenchComparison, CaseComparison, CompareOptions } from './profiler/compare/compare-benchmarks.js';
export { profileFromJson, profileFromFolded } from './profiler/compare/profile-input.js';
export type { ProfileSide } from './profiler/compare/profile-input.js';
export { compareProfiles } from './profiler/compare/compare-profiles.js';
export type { ProfileComparison, FunctionDelta, ExactMetric } from './profiler/compare/compare-profiles.js';
export type { AllocationComparison, CacheComparison } from './profiler/compare/compare-memory.js';
export { compareInterleaved } from './profiler/compare/compare-interleaved.js';
export type { InterleavedRun, InterleavedSide, InterleavedComparison } from './profiler/compare/compare-interleaved.js';
export { runInterleaved, INTERLEAVED_DEFAULTS } from './host/profiling/interleaved-ab.js';
export type { InterleavedOptions } from './host/profiling/interleaved-ab.js';
export { benchGateFailures, exactGateFailures } from './profiler/compare/regression-gate.js';
export type { GateFailure } from './profiler/compare/regression-gate.js';
export { formatBenchComparison, formatProfileComparison } from './profiler/render/comparison-text.js';
export { fitComplexity, COMPLEXITY_CLASSES } from './profiler/analyze/complexity-fit.js';
export type { ComplexityClass, ComplexityFit, SizedCost } from './profiler/analyze/complexity-fit.js';
export { buildScalingReport } from './profiler/analyze/scaling.js';
export { SCALING_REPORT_SCHEMA } from './profiler/model/scaling-report.js';
export type { ScalingReport, ScalingSample, FunctionScaling } from './profiler/model/scaling-report.js';
export { measureScaling } from './host/profiling/scaling-runner.js';
export type { ScalingOptions } from './host/profiling/scaling-runner.js';
export { formatScaling } from './profiler/render/format-scaling.js';
// Cache simulation (docs/profiler.md, "Cache simulation").
export { CacheProfiler } from './host/profiling/cache-profiler.js';
export type { CacheProfilerOptions } from './host/profiling/cache-profiler.js';
export { machineCacheGeometry } from './host/profiling/machine-cache-geometry.js';
export { CacheSimulator } from './profiler/build/cache-simulator.js';
export { buildCacheReport, cacheCounters, missRateAt } from './profiler/build/cache-report-builder.js';
export { mergeCacheRecordings, recorderLimits } from './profiler/build/cache-recording.js';
export type { CacheRecording, CacheNodeRecord, StrideRecord, CacheRecorderLimits } from './profiler/build/cache-recording.js';
export { parseCacheLevel, geometryFromSysfs, describeGeometry, VALGRIND_FALLBACK_GEOMETRY } from './profiler/build/cache-geometry.js';
export { CACHE_REPORT_SCHEMA } from './profiler/model/cache-report.js';
export type { CacheReport, CacheGeometry, CacheLevelGeometry, CacheCounters, CacheFunctionStats, CacheExportStats, CacheStreamStats, CacheTreeNode, StridePattern } from './profiler/model/cache-report.js';
export { toCachegrind } from './profiler/export/cachegrind.js';
export { formatCacheReport } from './profiler/render/cache-table.js';

export { createPool, WasmPool } from './pool/pool.js';
export type { PoolOptions, PoolModuleOptions, CallOptions, PoolProfile, PoolSandbox, PoolCloseReport } from './pool/pool.js';
export type { Isolation } from './pool/protocol.js';
export { leastLoaded } from './pool/schedule.js';
export type { Scheduler, WorkerLoad } from './pool/schedule.js';

export type { MetricsSnapshot, MetricsSource, PoolGauges } from './profiler/model/metrics-snapshot.js';
export { prometheusRegistry } from './profiler/export/prometheus.js';
export type { PrometheusOptions } from './profiler/export/prometheus.js';
export { registerOpenTelemetry } from './profiler/export/opentelemetry.js';
export type { OpenTelemetryOptions, OpenTelemetryRegistration } from './profiler/export/opentelemetry.js';
export { CALL_OUTCOMES, DURATION_BUCKETS_SECONDS, outcomeOf } from './profiler/export/fleet-series.js';
export type { CallOutcome, FleetSeriesOptions } from './profiler/export/fleet-series.js';
export { serveMetrics, DEFAULT_METRICS_PORT } from './observe/metrics-server.js';
export type { MetricsServer, MetricsServerOptions } from './observe/metrics-server.js';
export { pushProfile } from './observe/push-profile.js';
export type { PushProfileOptions, PushResult } from './observe/push-profile.js';
export { renderHtmlReport, reportPolicy } from './profiler/render/html-report.js';
export type { ReportInput, ReportRun, ReportModule, ReportComparison, ComparisonRow } from './profiler/render/html-report.js';
export { readReportRun, groupRuns } from './profiler/render/report/report-input.js';
export { compareRuns } from './profiler/render/report/comparison.js';
export { BENCH_SCHEMAS } from './profiler/model/bench-result.js';
export type { PoolLoad, CallObserver } from './pool/pool.js';
export type { LiveSettings, LiveSetting, PoolSettings, SettingChange, TuningLog, TrialRecord, EpochFigures, Estimate } from './profiler/model/tuning.js';
export { formatTuningLog, formatSettings } from './profiler/render/tuning-log.js';

export { startTuner, PoolTuner } from './tuner/apply.js';
export type { TunerOptions } from './tuner/apply.js';
export { TuningController, TUNER_DEFAULTS } from './tuner/decide.js';
export type { ControllerOptions, EpochCommand } from './tuner/decide.js';
export type { Objective } from './tuner/objective.js';
export { KNOB_LADDERS } from './tuner/knobs.js';
export { tuneOffline } from './tuner/offline.js';
export type { OfflineTuneOptions, OfflineTuneResult } from './tuner/offline.js';
