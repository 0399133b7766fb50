/**
 * Summarises V8 CPU profiles (from BENCH_CPU_PROF=1 runs): the functions with the most self and
 * inclusive time. `npx tsx bench/cpuprofile-top.ts bench/results/profiles/create-cloudpay [N]`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [target, topArg] = process.argv.slice(2);
if (!target) {
  console.error('usage: tsx bench/cpuprofile-top.ts <profile file or folder> [N]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the
      // others are loader workers).
      .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
      .map((f) => join(target, f))
  : [target];

const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
let idle = 0;
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: Node) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src|bench)\//, '$1/');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}${url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  const time = new Map<number, number>();
  p.samples.forEach((s, i) => time.set(s, (time.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  for (const [id, t] of time) {
    const node = byId.get(id) as Node;
    total += t;
    if (node.callFrame.functionName === '(idle)') idle += t;
    const k = name(node);
    self.set(k, (self.get(k) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = name(byId.get(cur) as Node);
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + t);
    }
  }
}
const busy = total - idle;
const print = (title: string, m: Map<string, number>) => {
  console.log(
    `\n${title} (% of busy time, ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s)`,
  );
  for (const [k, t] of [...m]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`${((100 * t) / busy).toFixed(1).padStart(6)} %  ${k}`);
  }
};
print('self time', self);
print('inclusive time', incl);
