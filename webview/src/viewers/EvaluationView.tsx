/**
 * The ModelEvaluation viewer (TFMA's): the verdict, the candidate against the baseline model with
 * deltas, ROC, PR and calibration plots per slice, and every metric per slice with its 95 %
 * interval.
 */
import { useMemo, useState } from 'react';
import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { ChartView, seriesColor, themeColor, translucent } from './chart.tsx';
import { formatNumber, metricNames, sortSlices, type SortKey } from '../../../protocol/viewer-shape.ts';
import { barsWithIntervals, baselineComparison, calibrationPoints, metricDirection, operatingPoint, prPoints, rocPoints, type CalibrationPoint, type CurvePoint } from '../../../protocol/evaluation-plots.ts';
import type { EvaluationSlice } from '../../../protocol/viewer-payload.ts';
import { Header, type Of } from './viewer-page.tsx';

const interval = (ci: [number | null, number | null] | undefined) => (ci ? `[${formatNumber(ci[0], 3)}, ${formatNumber(ci[1], 3)}]` : '');
const signed = (x: number | null, digits = 4) => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${formatNumber(Math.abs(x), digits)}`);

/** A square plot of curves on [0, 1]², with a dashed reference line and the decision threshold marked. */
function curveChart(opts: {
  curves: { label: string; points: CurvePoint[]; color: string; dash?: number[] }[];
  reference: { label: string; points: { x: number; y: number }[] };
  marks: { label: string; point: CurvePoint | undefined; color: string }[];
  x: string;
  y: string;
}): ChartConfiguration<'scatter'> {
  const muted = themeColor('--vscode-descriptionForeground', '#888');
  return {
    type: 'scatter',
    data: {
      datasets: [
        ...opts.curves.map((c) => ({ label: c.label, data: c.points, showLine: true, borderColor: c.color, backgroundColor: c.color, borderDash: c.dash, borderWidth: 2, pointRadius: 0, pointHitRadius: 4 })),
        { label: opts.reference.label, data: opts.reference.points, showLine: true, borderColor: muted, borderDash: [4, 4], borderWidth: 1, pointRadius: 0, pointHitRadius: 0 },
        ...opts.marks
          .filter((m) => m.point)
          .map((m) => ({ label: m.label, data: [m.point!], borderColor: m.color, backgroundColor: m.color, pointRadius: 5, pointStyle: 'rectRot' as const })),
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { type: 'linear', min: 0, max: 1, title: { display: true, text: opts.x } },
        y: { type: 'linear', min: 0, max: 1, title: { display: true, text: opts.y } },
      },
      plugins: {
        legend: { labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item: TooltipItem<'scatter'>) => {
              const p = item.raw as CurvePoint;
              const at = typeof p.threshold === 'number' ? ` at threshold ${formatNumber(p.threshold, 3)}` : '';
              return `${item.dataset.label}: ${opts.x} ${formatNumber(p.x, 3)}, ${opts.y} ${formatNumber(p.y, 3)}${at}`;
            },
          },
        },
      },
    },
  };
}

/**
 * Calibration: the candidate's buckets with each observed rate's 95 % interval as an error bar,
 * the baseline model's buckets on the same rows (dashed), and the perfectly calibrated diagonal.
 */
export function calibrationChart(slice: EvaluationSlice): ChartConfiguration {
  const candidate = calibrationPoints(slice.calibration_buckets ?? []);
  const baseline = slice.baseline_calibration_buckets ? calibrationPoints(slice.baseline_calibration_buckets) : undefined;
  const asCurve = (points: CalibrationPoint[]) => points.map((p) => ({ ...p, threshold: NaN }));
  const config = curveChart({
    curves: [{ label: 'candidate', points: asCurve(candidate), color: seriesColor(0) }, ...(baseline ? [{ label: 'baseline', points: asCurve(baseline), color: seriesColor(1), dash: [6, 3] }] : [])],
    reference: {
      label: 'perfectly calibrated',
      points: [
        { x: 0, y: 0 },
        { x: 1, y: 1 },
      ],
    },
    marks: [],
    x: 'mean prediction',
    y: 'observed positive rate',
  });
  const bars = translucent(seriesColor(0), 0.7);
  Object.assign(config.data.datasets[0], { type: 'scatterWithErrorBars', pointRadius: 3, errorBarColor: bars, errorBarWhiskerColor: bars, errorBarWhiskerSize: 8 });
  if (baseline) Object.assign(config.data.datasets[1], { pointRadius: 2 });
  const series = [candidate, baseline];
  config.options!.plugins!.tooltip!.callbacks!.label = (item: TooltipItem<'scatter'>) => {
    const p = series[item.datasetIndex]?.[item.dataIndex];
    if (!p) return item.dataset.label ?? '';
    const ci = p.yMin !== undefined && p.yMax !== undefined ? ` [${formatNumber(p.yMin, 3)}, ${formatNumber(p.yMax, 3)}]` : '';
    return `${item.dataset.label}: scores ${formatNumber(p.lower)}–${formatNumber(p.upper)}: ${formatNumber(p.count)} rows, mean prediction ${formatNumber(p.x, 3)}, observed ${formatNumber(p.y, 3)}${ci}`;
  };
  return config as ChartConfiguration;
}

/** A metric per slice as horizontal bars, the candidate's with its 95 % interval as an error bar, the baseline's beside it. */
export function sliceMetricChart(slices: EvaluationSlice[], metric: string, hasBaseline: boolean): ChartConfiguration {
  const bars = barsWithIntervals(slices, metric).slice(0, 40);
  const baselineOf = new Map(slices.map((s) => [s.name, s.baseline_metrics?.[metric] ?? null]));
  const whisker = themeColor('--vscode-foreground', '#cccccc');
  return {
    type: 'barWithErrorBars',
    data: {
      labels: bars.map((b) => b.label),
      datasets: [
        { label: `candidate ${metric}${bars.some((b) => b.xMin !== undefined) ? ' (95 % interval)' : ''}`, data: bars.map(({ label, ...b }) => ({ y: label, ...b })), errorBarColor: whisker, errorBarWhiskerColor: whisker },
        ...(hasBaseline ? [{ label: `baseline ${metric}`, data: bars.map((b) => ({ y: b.label, x: baselineOf.get(b.label) ?? Number.NaN })) }] : []),
      ],
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: 'y' },
  } as unknown as ChartConfiguration;
}

function Plots({ slice, threshold }: { slice: EvaluationSlice; threshold: number }) {
  const configs = useMemo(() => {
    const candidate = slice.confusion_at_thresholds;
    const base = slice.baseline_confusion_at_thresholds;
    const out: { key: string; title: string; config: ChartConfiguration }[] = [];
    const diagonal = [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
    ];
    if (candidate) {
      const roc = rocPoints(candidate);
      const pr = prPoints(candidate);
      const baseRoc = base ? rocPoints(base) : undefined;
      const basePr = base ? prPoints(base) : undefined;
      const positives = candidate.tp[0] + candidate.fn[0];
      const total = positives + candidate.fp[0] + candidate.tn[0];
      const mark = { label: `threshold ${threshold}`, color: themeColor('--vscode-editorError-foreground', '#f14c4c') };
      out.push({
        key: 'roc',
        title: `ROC curve · AUC ${formatNumber(slice.metrics.auc ?? null, 3)}${slice.baseline_metrics?.auc != null ? ` (baseline ${formatNumber(slice.baseline_metrics.auc, 3)})` : ''}`,
        config: curveChart({
          curves: [{ label: 'candidate', points: roc, color: seriesColor(0) }, ...(baseRoc ? [{ label: 'baseline', points: baseRoc, color: seriesColor(1), dash: [6, 3] }] : [])],
          reference: { label: 'chance', points: diagonal },
          marks: [{ ...mark, point: operatingPoint(roc, threshold) }],
          x: 'false positive rate',
          y: 'true positive rate',
        }) as ChartConfiguration,
      });
      out.push({
        key: 'pr',
        title: `Precision–recall · AUC-PR ${formatNumber(slice.metrics.auc_pr ?? null, 3)}${slice.baseline_metrics?.auc_pr != null ? ` (baseline ${formatNumber(slice.baseline_metrics.auc_pr, 3)})` : ''}`,
        config: curveChart({
          curves: [{ label: 'candidate', points: pr, color: seriesColor(0) }, ...(basePr ? [{ label: 'baseline', points: basePr, color: seriesColor(1), dash: [6, 3] }] : [])],
          // A classifier that guesses at random has precision = the share of positives.
          reference: { label: 'random', points: total > 0 ? [{ x: 0, y: positives / total }, { x: 1, y: positives / total }] : [] },
          marks: [{ ...mark, point: operatingPoint(pr, threshold) }],
          x: 'recall',
          y: 'precision',
        }) as ChartConfiguration,
      });
    }
    if (slice.calibration_buckets) out.push({ key: 'calibration', title: `Calibration · ${formatNumber(slice.metrics.calibration ?? null, 3)} (mean prediction ÷ mean label)`, config: calibrationChart(slice) });
    return out;
  }, [slice, threshold]);
  if (configs.length === 0) {
    const countsOnly = Object.keys(slice.metrics).every((k) => k === 'example_count');
    return (
      <p className="muted no-plots">
        {countsOnly ? 'This slice is smaller than min_slice_size: its count only, no metrics or plots.' : 'No ROC, PR or calibration data for this slice: they are drawn for binary tasks evaluated by Evaluator version 3 or later.'}
      </p>
    );
  }
  return (
    <div className="plots">
      {configs.map((c) => (
        <div key={c.key} className={`plot plot-${c.key}`}>
          <h3>{c.title}</h3>
          <ChartView config={c.config} height={300} label={c.title} />
        </div>
      ))}
    </div>
  );
}

function BaselineTable({ slice }: { slice: EvaluationSlice }) {
  const rows = baselineComparison(slice);
  return (
    <table className="baseline-table">
      <thead>
        <tr>
          <th>metric</th>
          <th className="num">candidate</th>
          <th className="num">95 % interval</th>
          <th className="num">baseline</th>
          <th className="num">Δ</th>
          <th className="num">Δ %</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.metric} className={r.verdict ?? 'neutral'} data-metric={r.metric}>
            <td>{r.metric}</td>
            <td className="num">{formatNumber(r.candidate)}</td>
            <td className="num muted">{interval(r.interval)}</td>
            <td className="num">{formatNumber(r.baseline)}</td>
            <td className="num delta">{signed(r.delta)}</td>
            <td className="num">{r.relative === null ? '–' : `${signed(r.relative * 100, 3)} %`}</td>
            <td className="verdict">
              {r.verdict === 'better' ? <span className="codicon codicon-arrow-up" /> : r.verdict === 'worse' ? <span className="codicon codicon-arrow-down" /> : null} {r.verdict ?? ''}
              {r.significant === false ? <span className="muted"> (within the interval)</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EvaluationView({ payload }: { payload: Of<'evaluation'> }) {
  const { evaluation, blessing } = payload;
  const metrics = useMemo(() => metricNames(evaluation.slices), [evaluation]);
  const [sort, setSort] = useState<SortKey>({ column: 'example_count', descending: true });
  const [chartMetric, setChartMetric] = useState(metrics.find((m) => /auc/i.test(m)) ?? metrics[0]);
  const [focus, setFocus] = useState(evaluation.slices[0]?.name ?? '');
  const slices = sortSlices(evaluation.slices, sort);
  const hasBaseline = evaluation.slices.some((s) => s.baseline_metrics);
  const focused = evaluation.slices.find((s) => s.name === focus) ?? evaluation.slices[0];
  const plotted = evaluation.slices.filter((s) => s.confusion_at_thresholds || s.calibration_buckets);
  const chart: ChartConfiguration | undefined = useMemo(() => (chartMetric ? sliceMetricChart(evaluation.slices, chartMetric, hasBaseline) : undefined), [chartMetric, evaluation, hasBaseline]);
  const header = (column: string, label = column) => (
    <th
      key={column}
      className={`sortable${column === 'name' ? '' : ' num'}${sort.column === column ? ' sorted' : ''}`}
      aria-sort={sort.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none'}
      onClick={() => setSort({ column, descending: sort.column === column ? !sort.descending : true })}
    >
      {label} {sort.column === column ? (sort.descending ? '▼' : '▲') : ''}
    </th>
  );
  const slicePicker = (
    <select aria-label="Slice" className="focus-slice" value={focused?.name} onChange={(e) => setFocus(e.target.value)}>
      {evaluation.slices.map((s) => (
        <option key={s.name} value={s.name}>
          {s.name} ({formatNumber(s.example_count)})
        </option>
      ))}
    </select>
  );
  return (
    <div className="viewer evaluation">
      <Header
        title={`Evaluation #${payload.artifact.id}`}
        subtitle={`${evaluation.task} · label ${evaluation.label} · split ${evaluation.split}${evaluation.baseline ? ` · baseline model #${evaluation.baseline.id ?? '?'} (${evaluation.baseline.source === 'latest_blessed' ? 'the latest blessed model' : 'wired'})` : ' · no baseline'}`}
      />
      {blessing ? (
        <section className={`blessing ${blessing.blessed ? 'blessed' : 'not-blessed'}`}>
          <h2>
            <span className={`codicon codicon-${blessing.blessed ? 'verified' : 'error'}`} /> {blessing.blessed ? 'Blessed' : 'Not blessed'}
          </h2>
          <ul className="thresholds">
            {blessing.reasons.map((r, i) => (
              <li key={i} className={r.passed ? 'pass' : 'fail'}>
                <span className={`codicon codicon-${r.passed ? 'pass' : 'error'}`} /> {r.passed ? 'pass' : 'FAIL'}: {r.message}
              </li>
            ))}
            {blessing.reasons.length === 0 ? <li className="muted">No thresholds configured.</li> : null}
          </ul>
        </section>
      ) : null}
      {focused ? (
        <section className="focus">
          <h2>Slice {slicePicker}</h2>
          {hasBaseline ? (
            <>
              <h3>
                Against the baseline model #{evaluation.baseline?.id ?? '?'} <span className="muted">(same rows; the interval is the candidate's)</span>
              </h3>
              {focused.baseline_metrics ? <BaselineTable slice={focused} /> : <p className="muted">The baseline has no metrics on this slice.</p>}
            </>
          ) : (
            <p className="muted no-baseline">No baseline model: this is the first evaluation of the pipeline, or none was blessed before it. Later runs compare against the latest blessed model.</p>
          )}
          {plotted.length ? <Plots slice={focused} threshold={evaluation.decision_threshold ?? 0.5} /> : null}
        </section>
      ) : null}
      <section>
        <h2>Metrics by slice</h2>
        <table className="metrics-table">
          <thead>
            <tr>
              {header('name', 'slice')}
              {header('example_count', 'examples')}
              {metrics.map((m) => header(m))}
            </tr>
          </thead>
          <tbody>
            {slices.map((s) => (
              <tr key={s.name} className={s.name === focused?.name ? 'focused' : ''} onClick={() => setFocus(s.name)}>
                <td>{s.name}</td>
                <td className="num">{formatNumber(s.example_count)}</td>
                {metrics.map((m) => {
                  const ci = s.confidence_intervals?.[m];
                  const diff = s.diff?.[m];
                  const direction = metricDirection(m);
                  // Green when the change is an improvement for this metric (lower log loss is), red when not.
                  const tone = diff == null || diff === 0 || !direction ? 'neutral' : (diff > 0) === (direction === 'higher') ? 'up' : 'down';
                  return (
                    <td key={m} className="num">
                      {formatNumber(s.metrics[m])}
                      {diff !== undefined && diff !== null ? <span className={`diff ${tone}`}> {signed(diff)}</span> : null}
                      {ci ? <div className="ci muted">{interval(ci)}</div> : null}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {chart ? (
        <section>
          <h2>
            Chart:{' '}
            <select aria-label="Metric to chart" value={chartMetric} onChange={(e) => setChartMetric(e.target.value)}>
              {metrics.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </h2>
          <ChartView config={chart} label={`${chartMetric} by slice`} height={Math.max(160, Math.min(40, evaluation.slices.length) * 22 + 60)} />
        </section>
      ) : null}
    </div>
  );
}
