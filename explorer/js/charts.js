// SVG charts drawn here (no library): a line or bar chart of one series over block heights,
// scaled to its container through the viewBox, with axes, grid lines, an average line and a
// tooltip (<title>) per point.

import { s, h } from './dom.js';
import { formatInteger } from './format.js';

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 30, left: 64 };

function niceStep(range, ticks) {
  const raw = range / ticks;
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const unit = raw / power;
  const nice = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
  return nice * power;
}

// points: [{x: height, y: number}], in x order. format(y) labels the y axis and tooltips.
export function chart(points, { kind = 'line', format = String, label = '', unit = '', average = true, integer = false } = {}) {
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: `chart chart-kind-${kind}`,
    role: 'img',
    'aria-label': label,
    preserveAspectRatio: 'none',
  });
  if (points.length === 0) {
    svg.append(s('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'No blocks yet'));
    return svg;
  }
  const ys = points.map((p) => p.y);
  let yMax = Math.max(...ys);
  let yMin = kind === 'bar' ? 0 : Math.min(...ys);
  if (yMin > 0 && yMin < yMax * 0.5) yMin = 0;
  if (yMax === yMin) {
    yMax = yMax === 0 ? 1 : yMax * 1.1;
    if (kind !== 'bar') yMin = yMin * 0.9;
  }
  const step = integer ? Math.max(1, Math.round(niceStep(yMax - yMin, 4))) : niceStep(yMax - yMin, 4);
  yMin = Math.floor(yMin / step) * step;
  yMax = Math.ceil(yMax / step) * step;
  const xMin = points[0].x;
  const xMax = points[points.length - 1].x;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / points.length;
  const xOf = (i) => PAD.left + slot * (i + 0.5);
  const yOf = (y) => PAD.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;

  const grid = s('g', { class: 'chart-grid' });
  for (let y = yMin; y <= yMax + step / 2; y += step) {
    grid.append(s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: yOf(y), y2: yOf(y) }));
    grid.append(s('text', { x: PAD.left - 8, y: yOf(y) + 4, 'text-anchor': 'end' }, format(y)));
  }
  const xTicks = Math.min(6, points.length);
  for (let t = 0; t < xTicks; t += 1) {
    const i = xTicks === 1 ? 0 : Math.round((t * (points.length - 1)) / (xTicks - 1));
    grid.append(s('text', { x: xOf(i), y: HEIGHT - 10, 'text-anchor': 'middle' }, formatInteger(points[i].x)));
  }
  svg.append(grid);

  const marks = s('g', { class: 'chart-marks' });
  if (kind === 'bar') {
    const barW = slot < 4 ? slot : slot * 0.7; // dense: bars touch rather than shimmer
    points.forEach((p, i) => {
      const top = yOf(p.y);
      marks.append(
        s('rect', { x: xOf(i) - barW / 2, y: top, width: barW, height: Math.max(0, yOf(yMin) - top), class: 'chart-bar' },
          s('title', null, `block ${formatInteger(p.x)}: ${format(p.y)}${unit}`)),
      );
    });
  } else {
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${xOf(i).toFixed(1)},${yOf(p.y).toFixed(1)}`).join(' ');
    marks.append(s('path', { d: path, class: 'chart-line' }));
    points.forEach((p, i) => {
      marks.append(
        s('circle', { cx: xOf(i), cy: yOf(p.y), r: points.length > 120 ? 1.5 : 2.5, class: 'chart-point' },
          s('title', null, `block ${formatInteger(p.x)}: ${format(p.y)}${unit}`)),
      );
    });
  }
  svg.append(marks);
  if (average) {
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    svg.append(
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: yOf(mean), y2: yOf(mean), class: 'chart-average' },
        s('title', null, `average ${format(mean)}${unit}`)),
    );
  }
  svg.append(s('line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: PAD.top + plotH, class: 'chart-axis' }));
  svg.append(s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH, class: 'chart-axis' }));
  svg.dataset.points = String(points.length);
  svg.dataset.range = `${xMin}-${xMax}`;
  return svg;
}

export function chartCard(title, summary, svg) {
  return h('section', { class: 'card chart-card' }, h('div', { class: 'chart-head' }, h('h2', null, title), h('span', { class: 'muted' }, summary)), svg);
}
