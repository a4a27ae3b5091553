// @ts-check
/**
 * A small SVG line chart, drawn by hand (no library): a few series of (time, value) points over a
 * fixed time window, a y axis from zero to a rounded maximum, and a legend with each series'
 * latest value. When there is nothing to draw it says why instead.
 */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 120;
const PAD_LEFT = 44;
const PAD_BOTTOM = 16;

/** @typedef {{ timeMs: number, value: number }} Point */
/** @typedef {{ label: string, className: string }} SeriesStyle */

/**
 * @param {string} tag @param {Record<string, string | number>} attributes
 * @returns {SVGElement}
 */
function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/**
 * The smallest 1, 2 or 5 times a power of ten at or above `value`.
 * @param {number} value
 */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** @param {number} value */
export function formatNumber(value) {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(2);
}

export class LineChart {
  /**
   * @param {HTMLElement} container
   * @param {{ title: string, unit: string, windowMs: number, series: SeriesStyle[], emptyText: string }} options
   */
  constructor(container, options) {
    this.options = options;
    this.figure = document.createElement('figure');
    this.figure.className = 'chart';
    const caption = document.createElement('figcaption');
    caption.textContent = `${options.title} (${options.unit})`;
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    this.plot = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': options.title });
    this.message = document.createElement('p');
    this.message.className = 'chart-message muted';
    this.figure.append(caption, this.plot, this.legend, this.message);
    container.append(this.figure);
  }

  /**
   * Shows `text` in place of the plot (e.g. "metrics unavailable").
   * @param {string} text
   */
  showMessage(text) {
    this.figure.classList.add('empty');
    this.message.textContent = text;
  }

  /** @param {Point[][]} seriesPoints one array per series of the options, oldest first */
  draw(seriesPoints) {
    const now = performance.now();
    const start = now - this.options.windowMs;
    const values = seriesPoints.flat().filter((p) => p.timeMs >= start).map((p) => p.value);
    if (values.length === 0) {
      this.showMessage(this.options.emptyText);
      return;
    }
    this.figure.classList.remove('empty');
    this.message.textContent = '';
    const top = niceCeiling(Math.max(...values));
    const x = (/** @type {number} */ timeMs) => PAD_LEFT + ((timeMs - start) / this.options.windowMs) * (WIDTH - PAD_LEFT);
    const y = (/** @type {number} */ value) => (HEIGHT - PAD_BOTTOM) * (1 - value / top);
    this.plot.replaceChildren(
      svg('line', { class: 'axis', x1: PAD_LEFT, y1: HEIGHT - PAD_BOTTOM, x2: WIDTH, y2: HEIGHT - PAD_BOTTOM }),
      svg('line', { class: 'grid', x1: PAD_LEFT, y1: y(top / 2), x2: WIDTH, y2: y(top / 2) }),
      this.label(PAD_LEFT - 4, 10, formatNumber(top)),
      this.label(PAD_LEFT - 4, y(top / 2) + 4, formatNumber(top / 2)),
      this.label(PAD_LEFT - 4, HEIGHT - PAD_BOTTOM, '0'),
      this.label(WIDTH, HEIGHT - 2, 'now'),
      this.label(PAD_LEFT + 40, HEIGHT - 2, `-${Math.round(this.options.windowMs / 1000)} s`),
    );
    this.legend.replaceChildren();
    this.options.series.forEach((style, i) => {
      const points = (seriesPoints[i] ?? []).filter((p) => p.timeMs >= start);
      if (points.length > 0) {
        const path = points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.timeMs).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
        this.plot.append(svg('path', { class: `line ${style.className}`, d: path }));
      }
      const entry = document.createElement('span');
      entry.className = `legend-entry ${style.className}`;
      const latest = points.at(-1);
      entry.textContent = `${style.label}: ${latest ? formatNumber(latest.value) : '–'}`;
      this.legend.append(entry);
    });
  }

  /** @param {number} x @param {number} y @param {string} text */
  label(x, y, text) {
    const node = svg('text', { x, y, class: 'tick', 'text-anchor': 'end' });
    node.textContent = text;
    return node;
  }
}
