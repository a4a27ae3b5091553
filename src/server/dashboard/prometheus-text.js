// @ts-check
/**
 * The Prometheus text exposition format, read in the browser: `parsePrometheusText` turns a
 * scrape of GET /metrics into samples, and the two helpers below turn two successive scrapes into
 * what the charts show: a counter's rate (a counter that went down was reset by a restart and
 * counts from zero) and a latency quantile from the bucket counts observed between the scrapes,
 * interpolated inside a bucket as Prometheus' histogram_quantile does.
 */

/** @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample */
/** @typedef {(labels: Record<string, string>) => boolean} LabelFilter */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * @param {string} text a whole scrape
 * @returns {Sample[]}
 * @throws {Error} naming the line of the first sample it cannot read
 */
export function parsePrometheusText(text) {
  /** @type {Sample[]} */
  const samples = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      samples.push(parseSampleLine(line));
    } catch (error) {
      throw new Error(`metrics line ${i + 1}: ${/** @type {Error} */ (error).message}`);
    }
  }
  return samples;
}

/** @param {string} line @returns {Sample} */
function parseSampleLine(line) {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) throw new Error('no metric name');
  let at = name.length;
  /** @type {Record<string, string>} */
  const labels = {};
  if (line[at] === '{') {
    at++;
    for (;;) {
      while (line[at] === ' ' || line[at] === ',') at++;
      if (line[at] === '}') {
        at++;
        break;
      }
      const labelName = LABEL_NAME.exec(line.slice(at))?.[0];
      if (!labelName || line[at + labelName.length] !== '=' || line[at + labelName.length + 1] !== '"') throw new Error('malformed label');
      at += labelName.length + 2;
      let value = '';
      for (;;) {
        const char = line[at++];
        if (char === undefined) throw new Error('unterminated label value');
        if (char === '"') break;
        if (char === '\\') {
          const escaped = line[at++];
          value += escaped === 'n' ? '\n' : escaped;
        } else value += char;
      }
      labels[labelName] = value;
    }
  }
  const valueText = line.slice(at).trim().split(/\s+/)[0];
  const value = parseSampleValue(valueText);
  return { name, labels, value };
}

/** @param {string | undefined} text */
function parseSampleValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = text === undefined || text === '' ? NaN : Number(text);
  if (Number.isNaN(value)) throw new Error(`not a number: ${JSON.stringify(text)}`);
  return value;
}

/** @param {Record<string, string>} labels */
function seriesKey(labels) {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',');
}

/**
 * How much each matching series of a counter grew between two scrapes, by series key.
 * @param {Sample[]} previous @param {Sample[]} current @param {string} name @param {LabelFilter} filter
 * @returns {Map<string, { labels: Record<string, string>, increase: number }>}
 */
function increases(previous, current, name, filter) {
  /** @type {Map<string, number>} */
  const before = new Map();
  for (const sample of previous) if (sample.name === name && filter(sample.labels)) before.set(seriesKey(sample.labels), sample.value);
  /** @type {Map<string, { labels: Record<string, string>, increase: number }>} */
  const result = new Map();
  for (const sample of current) {
    if (sample.name !== name || !filter(sample.labels)) continue;
    const key = seriesKey(sample.labels);
    const earlier = before.get(key) ?? 0;
    // A counter below its earlier value was reset (the process restarted): it counts from zero.
    result.set(key, { labels: sample.labels, increase: sample.value >= earlier ? sample.value - earlier : sample.value });
  }
  return result;
}

/**
 * Events per second of a counter (summed over its matching series) between two scrapes.
 * @param {Sample[]} previous @param {Sample[]} current @param {string} name
 * @param {number} elapsedSeconds @param {LabelFilter} [filter]
 * @returns {number | null} null when the counter is in neither scrape
 */
export function counterRate(previous, current, name, elapsedSeconds, filter = () => true) {
  const grown = increases(previous, current, name, filter);
  if (grown.size === 0 || elapsedSeconds <= 0) return null;
  let total = 0;
  for (const { increase } of grown.values()) total += increase;
  return total / elapsedSeconds;
}

/**
 * The q-quantile (0..1) of a histogram's observations made between two scrapes, summed over its
 * matching series, in the histogram's unit.
 * @param {Sample[]} previous @param {Sample[]} current @param {string} name the family, without `_bucket`
 * @param {number} q @param {LabelFilter} [filter]
 * @returns {number | null} null when nothing was observed in between
 */
export function histogramQuantile(previous, current, name, q, filter = () => true) {
  /** @type {Map<number, number>} */
  const byBound = new Map();
  for (const { labels, increase } of increases(previous, current, `${name}_bucket`, filter).values()) {
    const bound = parseSampleValue(labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + increase);
  }
  const buckets = [...byBound].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (buckets.length === 0 || buckets.at(-1)?.[0] !== Infinity || total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < buckets.length; i++) {
    const [upper, count] = buckets[i];
    if (count < rank) continue;
    const [lower, countBelow] = i === 0 ? [0, 0] : buckets[i - 1];
    // Past the largest finite bound nothing is known but that bound.
    if (upper === Infinity) return lower;
    if (count === countBelow) return upper;
    return lower + ((upper - lower) * (rank - countBelow)) / (count - countBelow);
  }
  return null;
}
