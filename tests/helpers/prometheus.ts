/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), for tests: every line
 * is a `# HELP`, a `# TYPE` or a sample `name{label="value",...} number`; anything else throws.
 */

/** One sample: its metric name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  /** The value of the one sample with this name and these labels (all of them); undefined if none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;

function number(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${text}`);
  return n;
}

/** Parses the whole text; throws on the first line that is not the format. */
export function parsePrometheus(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const body = m[2].replace(/,$/, '');
      let consumed = 0;
      for (const l of body.matchAll(LABEL)) {
        labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed += l[0].length;
      }
      if (consumed !== body.length) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    }
    samples.push({ name: m[1], labels, value: number(m[3]) });
  }
  return {
    samples,
    types,
    value(name, want = {}) {
      const keys = Object.keys(want);
      const found = samples.filter(
        (s) =>
          s.name === name &&
          Object.keys(s.labels).length === keys.length &&
          keys.every((k) => s.labels[k] === want[k]),
      );
      if (found.length > 1) throw new Error(`${name} ${JSON.stringify(want)} is not one sample`);
      return found[0]?.value;
    },
  };
}
