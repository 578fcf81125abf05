// The scale chart of REPORT.md: synth, plan, apply and destroy time against N, both axes
// logarithmic, with the ideal apply line, the 1.5 x ideal target and the for_each diagnostic. Hand-written SVG: no
// dependency, and it renders on GitHub and in any browser.
import type { ScaleResult } from "./scale";
import type { Summary } from "./stats";

const WIDTH = 800;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 230, top: 40, bottom: 56 };

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  /** Measured series get a dot per point; computed lines (ideal, target) do not. */
  readonly measured: boolean;
  readonly points: Array<{ n: number; ms: number; min?: number; max?: number }>;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function secondsLabel(seconds: number): string {
  return seconds >= 1 ? `${seconds} s` : `${seconds.toFixed(-Math.floor(Math.log10(seconds)))} s`;
}

export function scaleChart(scale: ScaleResult): string {
  const points = scale.points;
  const fromSummary = (pick: (p: ScaleResult["points"][number]) => Summary) =>
    points.map((p) => ({ n: p.n, ms: pick(p).median, min: pick(p).min, max: pick(p).max }));
  const series: Series[] = [
    { label: "synth (process)", color: "#1f77b4", measured: true, points: fromSummary((p) => p.synth) },
    { label: "terraform plan", color: "#ff7f0e", measured: true, points: fromSummary((p) => p.plan) },
    { label: "terraform apply", color: "#2ca02c", measured: true, points: fromSummary((p) => p.apply) },
    { label: "terraform destroy", color: "#9467bd", measured: true, points: fromSummary((p) => p.destroy) },
    { label: "ideal apply", color: "#333333", dash: "6 4", measured: false, points: points.map((p) => ({ n: p.n, ms: p.idealApplyMs })) },
    { label: "target: 1.5 x ideal", color: "#d62728", dash: "2 3", measured: false, points: points.map((p) => ({ n: p.n, ms: 1.5 * p.idealApplyMs })) },
  ];
  // The diagnostic (bench/scale.ts writeForEachInLocals) runs only while the library synthesizes literal for_each maps.
  if (points.every((p) => p.planForEachInLocals !== undefined)) {
    series.splice(2, 0, {
      label: "plan, for_each in locals",
      color: "#ff7f0e",
      dash: "1 3",
      measured: true,
      points: fromSummary((p) => p.planForEachInLocals!),
    });
  }

  const values = series.flatMap((s) => s.points.flatMap((p) => [p.ms, p.min ?? p.ms, p.max ?? p.ms])).map((ms) => ms / 1000);
  const yLo = Math.floor(Math.log10(Math.min(...values)));
  const yHi = Math.ceil(Math.log10(Math.max(...values)));
  const ns = points.map((p) => p.n);
  const xLo = Math.log10(Math.min(...ns)) - 0.15;
  const xHi = Math.log10(Math.max(...ns)) + 0.15;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (n: number) => MARGIN.left + ((Math.log10(n) - xLo) / (xHi - xLo)) * plotW;
  const y = (ms: number) => MARGIN.top + (1 - (Math.log10(ms / 1000) - yLo) / (yHi - yLo)) * plotH;
  const f = (v: number) => v.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">Time against N bindings in one stack (log-log; median, bars = min-max)</text>`,
  );
  for (let e = yLo; e <= yHi; e++) {
    const yy = y(10 ** e * 1000);
    out.push(`<line x1="${MARGIN.left}" y1="${f(yy)}" x2="${MARGIN.left + plotW}" y2="${f(yy)}" stroke="#dddddd"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${f(yy + 4)}" text-anchor="end">${secondsLabel(10 ** e)}</text>`);
  }
  for (const n of ns) {
    const xx = x(n);
    out.push(`<line x1="${f(xx)}" y1="${MARGIN.top}" x2="${f(xx)}" y2="${MARGIN.top + plotH}" stroke="#eeeeee"/>`);
    out.push(`<text x="${f(xx)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${n}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle">N (bindings; half virtual IP, half EIP)</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">wall time</text>`);

  for (const s of series) {
    const path = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${f(x(p.n))},${f(y(p.ms))}`).join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    for (const p of s.points) {
      if (p.min !== undefined && p.max !== undefined && p.max > p.min) {
        out.push(`<line x1="${f(x(p.n))}" y1="${f(y(p.min))}" x2="${f(x(p.n))}" y2="${f(y(p.max))}" stroke="${s.color}" stroke-width="1.5"/>`);
      }
      if (s.measured) {
        out.push(`<circle cx="${f(x(p.n))}" cy="${f(y(p.ms))}" r="3.5" fill="${s.color}"><title>${escape(`${s.label}, N = ${p.n}: ${(p.ms / 1000).toFixed(3)} s`)}</title></circle>`);
      }
    }
  }
  series.forEach((s, i) => {
    const ly = MARGIN.top + 14 + i * 22;
    const lx = MARGIN.left + plotW + 16;
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    out.push(`<text x="${lx + 36}" y="${ly}">${escape(s.label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
