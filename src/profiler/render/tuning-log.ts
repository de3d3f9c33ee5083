/**
 * The tuner's log as terminal text: the settings it keeps against where it started, and every
 * trial — the setting, its two values, the epochs, the objective figures with intervals, the
 * decision and why. Reads the model (profiler/model/tuning.ts) only.
 */
import type { LiveSettings, TuningLog } from '../model/tuning.js';
import { LIVE_SETTINGS } from '../model/tuning.js';
import { renderTable } from './terminal-text.js';

function figure(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function percent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)} %`;
}

/** The settings kept against a starting point (the defaults): the live ones, and ringBytes when given. */
export function formatSettings(start: LiveSettings & { readonly ringBytes?: number }, kept: LiveSettings & { readonly ringBytes?: number }): string {
  const keys: (keyof typeof start)[] = [...LIVE_SETTINGS, ...(start.ringBytes === undefined ? [] : (['ringBytes'] as const))];
  return renderTable(
    ['setting', 'start', 'recommended'],
    keys.map((key) => [key, String(start[key]), `${String(kept[key])}${kept[key] === start[key] ? '' : ' *'}`]),
  );
}

export function formatTuningLog(log: TuningLog): string {
  const lines = [`tuner (${log.mode}): ${log.objective}`, `state: ${log.state}`, ''];
  if (log.trials.length === 0) {
    lines.push('no trial yet');
    return lines.join('\n');
  }
  lines.push(
    renderTable(
      ['#', 'setting', 'incumbent → candidate', 'epochs', 'incumbent [95 %]', 'candidate [95 %]', 'change [95 %]', 'p', 'decision', 'why'],
      log.trials.map((t) => {
        const f = t.figures;
        return [
          String(t.id),
          t.setting,
          `${t.incumbent} → ${t.candidate}`,
          String(t.epochs.length),
          f === undefined ? '—' : `${figure(f.incumbent.estimate)} [${figure(f.incumbent.low)}, ${figure(f.incumbent.high)}]`,
          f === undefined ? '—' : `${figure(f.candidate.estimate)} [${figure(f.candidate.low)}, ${figure(f.candidate.high)}]`,
          f === undefined ? '—' : `${percent(f.ratio.estimate)} [${percent(f.ratio.low)}, ${percent(f.ratio.high)}]`,
          f === undefined ? '—' : f.p.toPrecision(2),
          t.decision,
          t.reason,
        ];
      }),
      ['right', 'left', 'left', 'right'],
    ),
  );
  return lines.join('\n');
}
