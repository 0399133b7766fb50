import autocannon from 'autocannon';

/** What to send: a fixed request, or a new one per request from `next()`. */
export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  /** Fixed path (with query) when `next` is absent. */
  path: string;
  headers?: Record<string, string>;
  /** Builds each request: a POST body, or a GET path. Called once per request sent. */
  next?: () => string;
  duration: number;
  connections: number;
  /**
   * Checks one parsed `{code:100,…}` answer in every `sampleEvery`; returns a problem or null.
   * Every answer is checked cheaply for `{"code":100,` (Fastify serialises `code` first).
   */
  sample?: (answer: any) => string | null;
  sampleEvery?: number;
}

export interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non100: number;
  errors: number;
  codes: Record<string, number>;
  /** First few non-100 answers, shortened. */
  badAnswers: string[];
  sampled: number;
  sampleProblems: string[];
  durationS: number;
  /** Answers per second, second by second: shows a server slowing down as its tables fill. */
  perSecond: number[];
  /** CPU of this process (the load generator) over the run, ms. */
  loadCpuMs: number;
}

const OK_PREFIX = '{"code":100,';

/** Runs autocannon (programmatic API) in this process against one URL. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const codes: Record<string, number> = {};
  const badAnswers: string[] = [];
  const sampleProblems: string[] = [];
  const sampleEvery = spec.sampleEvery ?? 500;
  let seen = 0;
  let sampled = 0;

  const verifyBody = (body: string): boolean => {
    seen++;
    if (body.startsWith(OK_PREFIX)) {
      if (spec.sample && seen % sampleEvery === 1) {
        sampled++;
        let problem: string | null;
        try {
          problem = spec.sample(JSON.parse(body));
        } catch (err) {
          problem = `unparsable answer: ${(err as Error).message}`;
        }
        if (problem !== null && sampleProblems.length < 5) sampleProblems.push(problem);
      }
      return true;
    }
    const code = /"code":\s*(\d+)/.exec(body)?.[1] ?? 'no-envelope';
    codes[code] = (codes[code] ?? 0) + 1;
    if (badAnswers.length < 5) badAnswers.push(body.slice(0, 200));
    return false;
  };

  const next = spec.next;
  const request: autocannon.Request = {
    method: spec.method,
    path: spec.path,
    headers: spec.headers,
  };
  if (next) {
    request.setupRequest =
      spec.method === 'GET'
        ? (req) => {
            req.path = next();
            return req;
          }
        : (req) => {
            req.body = next();
            return req;
          };
  }

  const perSecond: number[] = [];
  let lastSeen = 0;
  const ticker = setInterval(() => {
    perSecond.push(seen - lastSeen);
    lastSeen = seen;
  }, 1000);
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.duration,
    requests: [request],
    verifyBody: verifyBody as (body: unknown) => boolean,
  });
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(ticker);
  const durationS = result.duration;
  const requests = result.requests.total;
  return {
    reqPerSec: requests / durationS,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    non100: result.mismatches,
    errors: result.errors + result.timeouts,
    codes,
    badAnswers,
    sampled,
    sampleProblems,
    durationS,
    perSecond,
    loadCpuMs: (cpu.user + cpu.system) / 1000,
  };
}
