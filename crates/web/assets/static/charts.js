// @ts-check
// Small SVG charts for the analytics page, drawn by our own code: no
// library, nothing from another origin. Colours and sizes are presentation
// attributes, because the Content-Security-Policy forbids inline styles.
// Every chart is an image with a title and a description for screen
// readers, and the page shows the same figures in a table beside it. Text
// is only ever set as text.

import { appendChildren } from "./common.js";

const NS = "http://www.w3.org/2000/svg";

/** Builds an SVG element, like `el` in common.js: attributes, then children (nodes or text). */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(key, String(value));
  }
  return appendChildren(node, children);
}

/** Colours with at least 3:1 contrast on white (4.5:1 where they carry text). */
export const COLORS = {
  ink: "#1d2a30",
  muted: "#4f5f66",
  grid: "#d5dde0",
  axis: "#8a9ba1",
  teal: "#0b5563",
  sea: "#2a7482",
  amber: "#c05a00",
};

/** The heat map's steps, from none (lightest) to the most (darkest), and the text colour on each. */
export const HEAT = ["#f3f6f7", "#cfe6ea", "#8fc0c9", "#2a7482", "#0b5563"];
const HEAT_TEXT = [COLORS.ink, COLORS.ink, COLORS.ink, "#ffffff", "#ffffff"];

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

let serial = 0;

/** The outer `<svg>`: an image named by its title and described by its description. */
function frame(width, height, title, desc) {
  const id = `chart-${++serial}`;
  return svg("svg", {
    width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
    "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-desc`, "font-family": FONT,
  },
  svg("title", { id: `${id}-title` }, title),
  svg("desc", { id: `${id}-desc` }, desc));
}

function text(x, y, content, attrs = {}) {
  return svg("text", { x, y, "font-size": 12, fill: COLORS.ink, ...attrs }, content);
}

/** A round step for `count` ticks up to at least `max`, whole numbers when `whole`. */
function scale(max, count = 4, whole = false) {
  const raw = Math.max(max, whole ? 1 : Number.EPSILON) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw && (!whole || Number.isInteger(s))) ?? 10 * power;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { top, ticks };
}

/** A rough width of `s` at `size` pixels (charts are laid out before the browser measures text). */
function textWidth(s, size = 12) {
  return String(s).length * size * 0.58;
}

/** A small square of `color` for a legend; hidden from screen readers (the words say it). */
export function swatch(color, shape = "square") {
  return svg("svg", { width: 14, height: 14, viewBox: "0 0 14 14", "aria-hidden": "true", focusable: "false", class: "swatch" },
    shape === "line"
      ? [svg("line", { x1: 0, y1: 7, x2: 14, y2: 7, stroke: color, "stroke-width": 2 }), svg("circle", { cx: 7, cy: 7, r: 3, fill: color })]
      : svg("rect", { x: 1, y: 1, width: 12, height: 12, rx: 2, fill: color, stroke: COLORS.axis, "stroke-width": color === HEAT[0] ? 1 : 0 }));
}

/**
 * Horizontal bars: a group per category (its name above), a bar per series,
 * each with its value written at its end. `series` are
 * `{ name, color, values }`; a missing value (null) says "none".
 * `format` words a value ("2.1 h"); `tick` words an axis step.
 */
export function barChart({ width, title, desc, categories, series, format = (v) => String(v), tick = (t) => String(t), whole = false }) {
  const labelH = 18;
  const barH = 16;
  const gap = 3;
  const groupGap = 10;
  const top = 4;
  const axisH = 22;
  const right = Math.max(56, ...series.flatMap((s) => s.values.map((v) => (v === null ? 0 : textWidth(format(v)) + 10))));
  const plotW = Math.max(80, width - right - 2);
  const values = series.flatMap((s) => s.values).filter((v) => v !== null);
  const { top: max, ticks } = scale(Math.max(0, ...values), plotW < 240 ? 3 : 4, whole);
  const x = (v) => 1 + (v / max) * plotW;
  const groupH = labelH + series.length * (barH + gap) + groupGap;
  const height = top + categories.length * groupH + axisH;
  const root = frame(width, height, title, desc);
  const bottom = height - axisH;
  for (const t of ticks) {
    root.append(svg("line", { x1: x(t), y1: top, x2: x(t), y2: bottom, stroke: COLORS.grid, "stroke-width": 1 }),
      text(x(t), height - 6, tick(t), { "text-anchor": t === 0 ? "start" : "middle", fill: COLORS.muted, "font-size": 11 }));
  }
  root.append(svg("line", { x1: 1, y1: top, x2: 1, y2: bottom, stroke: COLORS.axis, "stroke-width": 1 }));
  categories.forEach((category, i) => {
    const y0 = top + i * groupH;
    root.append(text(4, y0 + 13, category, { "font-size": 13, "font-weight": 600 }));
    series.forEach((s, j) => {
      const y = y0 + labelH + j * (barH + gap);
      const v = s.values[i];
      if (v === null || v === undefined) {
        root.append(text(6, y + 12, `${s.name}: none`, { fill: COLORS.muted, "font-size": 11 }));
        return;
      }
      root.append(
        svg("rect", { x: 1, y, width: Math.max(1, x(v) - 1), height: barH, fill: s.color },
          svg("title", {}, `${category}, ${s.name}: ${format(v)}`)),
        text(x(v) + 4, y + 12, format(v)));
    });
  });
  return root;
}

/**
 * Vertical columns, one per label, with an optional line over them:
 * `bars` and `line` are `{ name, color, values }`. `label(i)` words the
 * i-th label for the axis (some are skipped when they would crowd) and
 * `long(i)` for the tooltips. With `valueLabels`, each column's value is
 * written above it.
 */
export function columnChart({ width, height = 220, title, desc, labels, bars, line = null, label = (i) => labels[i], long = (i) => labels[i], valueLabels = false, format = (v) => String(v) }) {
  const n = labels.length;
  const all = [...bars.values, ...(line ? line.values : [])];
  const { top: max, ticks } = scale(Math.max(0, ...all), 4, true);
  const left = Math.ceil(textWidth(format(max), 11)) + 12;
  const right = 8;
  const top = valueLabels ? 20 : 10;
  const bottom = 26;
  const plotW = Math.max(40, width - left - right);
  const plotH = height - top - bottom;
  const band = plotW / Math.max(1, n);
  const barW = Math.max(1, Math.min(band * 0.72, 56));
  const cx = (i) => left + band * i + band / 2;
  const y = (v) => top + plotH - (v / max) * plotH;
  const root = frame(width, height, title, desc);
  for (const t of ticks) {
    root.append(svg("line", { x1: left, y1: y(t), x2: width - right, y2: y(t), stroke: COLORS.grid, "stroke-width": 1 }),
      text(left - 6, y(t) + 4, format(t), { "text-anchor": "end", fill: COLORS.muted, "font-size": 11 }));
  }
  bars.values.forEach((v, i) => {
    root.append(svg("rect", { x: cx(i) - barW / 2, y: y(v), width: barW, height: Math.max(0, y(0) - y(v)), fill: bars.color },
      svg("title", {}, `${long(i)}: ${format(v)} ${bars.name.toLowerCase()}`)));
    if (valueLabels) root.append(text(cx(i), y(v) - 5, format(v), { "text-anchor": "middle", "font-weight": 600 }));
  });
  root.append(svg("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), stroke: COLORS.axis, "stroke-width": 1 }));
  if (line && n > 0) {
    const points = line.values.map((v, i) => `${cx(i).toFixed(1)},${y(v).toFixed(1)}`);
    root.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: line.color, "stroke-width": 2, "stroke-linejoin": "round" }));
    if (band >= 5) {
      line.values.forEach((v, i) => root.append(svg("circle", { cx: cx(i), cy: y(v), r: band >= 10 ? 3 : 2, fill: line.color },
        svg("title", {}, `${long(i)}: ${format(v)} ${line.name.toLowerCase()}`))));
    }
  }
  // Axis labels, spaced so that they never overlap.
  const widest = Math.max(1, ...labels.map((_, i) => textWidth(label(i) ?? "", 11)));
  const every = Math.max(1, Math.ceil((widest + 10) / band));
  for (let i = 0; i < n; i += every) {
    const words = label(i);
    if (words) root.append(text(cx(i), height - 8, words, { "text-anchor": "middle", fill: COLORS.muted, "font-size": 11 }));
  }
  return root;
}

/**
 * A grid of counts (the hours of the week): `rows` are `{ label, values }`,
 * `columns` the column labels (some are skipped when they would crowd).
 * `step(v)` picks the shade (0 to 4); `cellTitle(row, column, v)` words a
 * cell for its tooltip. Counts are written in the cells when they fit.
 */
export function heatMap({ width, title, desc, rows, columns, step, cellTitle }) {
  const left = 40;
  const top = 20;
  const cols = columns.length;
  const cellW = Math.max(8, (width - left - 2) / cols);
  const cellH = Math.min(30, Math.max(18, cellW));
  const height = top + rows.length * cellH + 2;
  const root = frame(Math.ceil(left + cols * cellW + 2), Math.ceil(height), title, desc);
  const widest = Math.max(...columns.map((c) => textWidth(c, 10)));
  const every = [1, 2, 3, 4, 6, 12].find((k) => k * cellW >= widest + 6) ?? 12;
  columns.forEach((c, j) => {
    if (j % every === 0) root.append(text(left + j * cellW + 1, 13, c, { "font-size": 10, fill: COLORS.muted }));
  });
  const numbers = cellW >= 22;
  rows.forEach((r, i) => {
    const y = top + i * cellH;
    root.append(text(0, y + cellH / 2 + 4, r.label, { "font-size": 12, "font-weight": 600 }));
    r.values.forEach((v, j) => {
      const s = step(v);
      const x = left + j * cellW;
      root.append(svg("rect", { x: x + 0.5, y: y + 0.5, width: cellW - 1, height: cellH - 1, rx: 2, fill: HEAT[s] },
        svg("title", {}, cellTitle(r, j, v))));
      if (numbers && v > 0) {
        root.append(text(x + cellW / 2, y + cellH / 2 + 4, v, { "text-anchor": "middle", "font-size": 11, fill: HEAT_TEXT[s], "pointer-events": "none" }));
      }
    });
  });
  return root;
}
