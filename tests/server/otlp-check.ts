/**
 * What an OTLP/HTTP JSON receiver insists on (opentelemetry-proto's JSON mapping, PLATFORM.md), checked
 * on every request the test receivers get on /v1/*: the problems found, [] for a valid body. A body
 * with base64 ids, numeric-string enums or number timestamps fails here as it would at a collector.
 */
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const NANOS = /^\d+$/;
type Obj = Record<string, unknown>;
const isHex = (v: unknown, re: RegExp): boolean => typeof v === 'string' && re.test(v);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const int = (v: unknown, min: number, max: number) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function checkAttributes(at: string, attrs: unknown, problems: string[]): void {
  if (!Array.isArray(attrs)) return void problems.push(`${at}.attributes must be an array`);
  for (const kv of list(attrs)) {
    if (typeof kv.key !== 'string' || !isObj(kv.value))
      problems.push(`${at}: bad KeyValue ${JSON.stringify(kv)}`);
    else if (
      'intValue' in kv.value &&
      typeof kv.value.intValue !== 'string' &&
      !Number.isInteger(kv.value.intValue)
    )
      problems.push(`${at}.${kv.key}: intValue must be an int64`);
  }
}

export function otlpProblems(path: string, body: unknown): string[] {
  const problems: string[] = [];
  const kind = { '/v1/logs': 'Logs', '/v1/traces': 'Spans', '/v1/metrics': 'Metrics' }[path];
  if (!kind || !isObj(body)) return [`unexpected ${path} or body`];
  const resources = list(body[`resource${kind}`]);
  if (resources.length === 0) problems.push(`empty envelope resource${kind}`);
  for (const [r, rx] of resources.entries()) {
    const at = `resource${kind}[${r}]`;
    checkAttributes(`${at}.resource`, isObj(rx.resource) ? rx.resource.attributes : undefined, problems);
    for (const scope of list(rx[`scope${kind}`])) {
      if (!isObj(scope.scope) || typeof scope.scope.name !== 'string')
        problems.push(`${at}: scope needs a name`);
      for (const log of list(scope.logRecords)) {
        if (typeof log.timeUnixNano !== 'string' || !NANOS.test(log.timeUnixNano))
          problems.push(`${at}: timeUnixNano`);
        if (!int(log.severityNumber, 1, 24)) problems.push(`${at}: severityNumber must be an integer enum`);
        if (log.traceId !== undefined && !isHex(log.traceId, HEX32)) problems.push(`${at}: traceId not hex`);
        if (log.spanId !== undefined && !isHex(log.spanId, HEX16)) problems.push(`${at}: spanId not hex`);
        checkAttributes(at, log.attributes, problems);
      }
      for (const span of list(scope.spans)) {
        if (!isHex(span.traceId, HEX32) || !isHex(span.spanId, HEX16)) problems.push(`${at}: span ids`);
        if (span.parentSpanId !== undefined && !isHex(span.parentSpanId, HEX16))
          problems.push(`${at}: parent`);
        if (!int(span.kind, 0, 5)) problems.push(`${at}: span kind must be an integer enum`);
        for (const t of ['startTimeUnixNano', 'endTimeUnixNano'])
          if (typeof span[t] !== 'string' || !NANOS.test(span[t])) problems.push(`${at}: ${t}`);
        if (span.status !== undefined && !(isObj(span.status) && int(span.status.code, 0, 2)))
          problems.push(`${at}: status.code`);
        checkAttributes(at, span.attributes, problems);
      }
      for (const metric of list(scope.metrics)) {
        const points = isObj(metric.gauge) ? list(metric.gauge.dataPoints) : [];
        if (typeof metric.name !== 'string' || points.length === 0)
          problems.push(`${at}: metric needs a gauge`);
        for (const p of points) {
          if (typeof p.asDouble !== 'number') problems.push(`${at}: asDouble`);
          if (typeof p.timeUnixNano !== 'string' || !NANOS.test(p.timeUnixNano))
            problems.push(`${at}: point time`);
          checkAttributes(at, p.attributes, problems);
        }
      }
    }
  }
  return problems;
}

/** Loki's push API (JSON form) rules: label values strings, values `[ns string, line string]`. */
export function lokiProblems(body: unknown): string[] {
  const problems: string[] = [];
  const streams = isObj(body) ? list(body.streams) : [];
  if (streams.length === 0) problems.push('no streams');
  for (const s of streams) {
    if (!isObj(s.stream) || !Object.values(s.stream).every((v) => typeof v === 'string'))
      problems.push('stream labels must be strings');
    const values = Array.isArray(s.values) ? (s.values as unknown[]) : [];
    if (values.length === 0) problems.push('stream without values');
    for (const v of values)
      if (!Array.isArray(v) || typeof v[0] !== 'string' || !NANOS.test(v[0]) || typeof v[1] !== 'string')
        problems.push(`bad value ${JSON.stringify(v)}`);
  }
  return problems;
}
