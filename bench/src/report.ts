/**
 * The results as a markdown table, and its place in bench/README.md (between two markers, so
 * that a full run replaces the table and leaves the prose alone).
 */
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

export interface ReportInput {
  readonly mode: string;
  readonly started_at: string;
  readonly duration_s: number;
  readonly machine: {
    readonly cpus: number;
    readonly model: string;
    readonly memory_gib: number;
    readonly load_average_1m_at_start: number;
    readonly load_average_1m_at_end: number;
  };
  readonly versions: { readonly node: string; readonly nats_server: string; readonly sqlite_driver?: string };
  readonly alert: { readonly signed_bytes: number; readonly envelope_bytes: number };
  readonly ceiling: Readonly<Record<string, number>>;
  readonly peer: {
    readonly e2e_per_s: number;
    readonly e2e_cpu_us: number;
    readonly latency_ms: Readonly<Record<string, number>>;
  };
  /** The same Nest app on JetStream: js.publish and a durable consumer (bench/src/durable-peer.ts). */
  readonly durable_peer?: {
    readonly e2e_per_s: number;
    readonly e2e_cpu_us: number;
    readonly latency_ms: Readonly<Record<string, number>>;
  };
  readonly enlace: {
    readonly publish_per_s: number;
    readonly inbound_per_s: number;
    readonly raw_verify_beside_inbound_per_s: number;
    readonly e2e_per_s: number;
    readonly publish_cpu_us: number;
    readonly inbound_cpu_us: number;
    readonly e2e_cpu_us: number;
    readonly inbound_loop_us?: number;
    readonly publish_loop_us?: number;
    readonly e2e_loop_us?: number;
    readonly replay: { readonly alerts: number; readonly per_s: number };
    readonly fanout_rounds: number;
  };
  readonly matching?: {
    readonly digests: number;
    readonly load_ms: number;
    readonly index_mb: number;
    readonly single_p50_ms: number;
    readonly single_p99_ms: number;
    readonly map_p99_ms: number;
    readonly bulk_digests: number;
    readonly bulk_ms: number;
  };
  readonly ratios: Readonly<Record<string, number>>;
  readonly stages_us?: StagesInput;
  readonly latency_ms: Readonly<Record<string, number>>;
  readonly fanout_ms: Readonly<Record<string, number>>;
  readonly targets: ReadonlyArray<{
    readonly name: string;
    readonly target: string;
    readonly value: number;
    readonly met: boolean;
  }>;
}

type StageSide = Readonly<Record<string, { readonly loop: number; readonly off: number }>>;
export interface StagesInput {
  readonly inbound: StageSide;
  readonly publish: StageSide;
}

/** The stages in path order, with what each row says. */
const INBOUND_STAGES: ReadonlyArray<readonly [string, string]> = [
  ['pull_ack', 'pull and ack (durable consumer, no-op handler)'],
  ['decode', 'decode (SignedAlert, Alert)'],
  ['schema', 'schema validation'],
  ['subject_key', 'subject and key checks'],
  ['verify', 'Ed25519 verify (thread pool)'],
  ['policy', 'publish and receive policy'],
  ['row', 'row building (columns, JSON view)'],
  ['commit', 'SQLite commit (batches of 64)'],
  ['receipt', 'receipt (batch signed, published, rows)'],
  ['audit', 'audit (rejections only)'],
  ['metrics', 'metrics'],
];
const PUBLISH_STAGES: ReadonlyArray<readonly [string, string]> = [
  ['read_draft', 'draft read and validated (JSON)'],
  ['policy', 'publish policy'],
  ['id_schema', 'id, issue time, schema check'],
  ['sign_encode', 'encode, Ed25519 sign, envelope'],
  ['jetstream_publish', 'JetStream publish, ack awaited (64 in flight)'],
  ['outbox_row', 'outbox row built and committed (batches of 40)'],
  ['audit', 'audit record (queued, published behind)'],
  ['metrics', 'metrics'],
];

/**
 * The stage-by-stage CPU table: µs per alert on the event loop and off it, each stage alone,
 * their sum beside the whole path measured the same way, and the budget of issue 13.
 */
export function renderStages(
  stages: StagesInput,
  whole: { inbound?: number; publish?: number; e2e?: number },
): string {
  const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
  const rows: string[][] = [['Stage', 'Event loop (µs/alert)', 'Off the loop (µs/alert)']];
  const side = (
    title: string,
    list: ReadonlyArray<readonly [string, string]>,
    costs: StageSide,
    exclude: string[],
  ) => {
    let loop = 0;
    let off = 0;
    for (const [key, label] of list) {
      const c = costs[key];
      if (c === undefined) continue;
      rows.push([`${title}: ${label}`, f(c.loop), f(c.off)]);
      if (!exclude.includes(key)) {
        loop += c.loop;
        off += c.off;
      }
    }
    return { loop, off };
  };
  const inSum = side('inbound', INBOUND_STAGES, stages.inbound, ['pull_ack', 'receipt']);
  const w = stages.inbound['whole'];
  rows.push(
    [
      '**inbound: sum of decode … metrics** (the in-memory path)',
      `**${f(inSum.loop)}**`,
      `**${f(inSum.off)}**`,
    ],
    ['**inbound: whole (InboundAlerts.handle, same alerts)**', `**${f(w?.loop)}**`, `**${f(w?.off)}**`],
    [
      'inbound: whole + pull/ack + receipt (what a node does per alert)',
      f((w?.loop ?? NaN) + (stages.inbound['pull_ack']?.loop ?? 0) + (stages.inbound['receipt']?.loop ?? 0)),
      f((w?.off ?? NaN) + (stages.inbound['pull_ack']?.off ?? 0) + (stages.inbound['receipt']?.off ?? 0)),
    ],
    ['inbound: budget (issue 13), event loop', '130', ''],
  );
  const pubSum = side('publish', PUBLISH_STAGES, stages.publish, []);
  rows.push(['**publish: sum of the stages**', `**${f(pubSum.loop)}**`, `**${f(pubSum.off)}**`]);
  if (whole.publish !== undefined)
    rows.push(['publish: whole path (AlertPublisher, full node), CPU', f(whole.publish), '']);
  if (whole.e2e !== undefined)
    rows.push(['end to end, both nodes, CPU per alert (budget 380)', f(whole.e2e), '']);
  const lines = rows.map((row) => `| ${row.join(' | ')} |`);
  lines.splice(1, 0, `|${rows[0]!.map(() => ' --- ').join('|')}|`);
  return lines.join('\n');
}

const int = (n: number | undefined): string =>
  n === undefined || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US');
const ms = (n: number | undefined): string =>
  n === undefined || Number.isNaN(n) ? '–' : `${n.toFixed(1)} ms`;
const ratio = (n: number | undefined): string =>
  n === undefined || Number.isNaN(n) ? '–' : `${n.toFixed(2)}×`;

export function renderTable(r: ReportInput): string {
  const met = (name: string): string => {
    const t = r.targets.find((x) => x.name === name);
    return t === undefined ? '' : `${t.target.replace('>=', '≥')} ${t.met ? '**met**' : '**missed**'}`;
  };
  const c = r.ceiling;
  const rows: string[][] = [
    ['Measure', 'Enlace', 'Ceiling (raw)', 'Peer (Nest NATS + jose)', 'Ratio', 'Target'],
    [
      'Inbound path, alerts/s (decode, verify, policy, store)',
      int(r.enlace.inbound_per_s),
      `${int(r.enlace.raw_verify_beside_inbound_per_s)} verify/s (1 core, taken before and after); ` +
        `${int(c['verify_per_s'])} in the ceiling run, ${int(c['verify_threadpool_per_s'])} on the thread pool`,
      '',
      `${ratio(r.ratios['verify_vs_raw'])} raw verify`,
      met('inbound path ÷ raw verify'),
    ],
    [
      'Publish path, alerts/s (validate, policy, sign, publish, outbox, audit)',
      int(r.enlace.publish_per_s),
      `${int(c['sign_per_s'])} sign/s; ${int(c['js_publish_per_s'])} JetStream publish/s`,
      '',
      `${ratio(r.ratios['publish_vs_raw_sign'])} raw sign`,
      '',
    ],
    [
      'End to end, alerts/s (node → node, verified and stored)',
      int(r.enlace.e2e_per_s),
      '',
      int(r.peer.e2e_per_s),
      `${ratio(r.ratios['e2e_vs_peer'])} peer`,
      met('end to end ÷ peer'),
    ],
  ];
  rows.push(
    [
      'CPU time per alert, inbound path (µs)',
      int(r.enlace.inbound_cpu_us),
      `${int(c['verify_cpu_us'])} per verify`,
      '',
      `${ratio(r.ratios['verify_vs_raw_cpu'])} raw verify`,
      '',
    ],
    [
      'CPU time per alert, end to end, sender and receiver (µs)',
      int(r.enlace.e2e_cpu_us),
      '',
      int(r.peer.e2e_cpu_us),
      `${ratio(r.ratios['e2e_vs_peer_cpu'])} peer`,
      '',
    ],
  );
  for (const load of [100, 1_000]) {
    rows.push([
      `Latency p50 / p99 / p999 at ${int(load)} alerts/s (Enlace: event-loop delay p99)`,
      `${ms(r.latency_ms[`p50_at_${load}`])} / ${ms(r.latency_ms[`p99_at_${load}`])} / ${ms(r.latency_ms[`p999_at_${load}`])} (loop ${ms(r.latency_ms[`loop_delay_p99_at_${load}`])})`,
      '',
      `${ms(r.peer.latency_ms[`p50_at_${load}`])} / ${ms(r.peer.latency_ms[`p99_at_${load}`])}`,
      '',
      load === 1_000 ? `p99 ${met('p99 at 1,000 alerts/s (ms)')}` : '',
    ]);
  }
  const dp = r.durable_peer;
  if (dp !== undefined) {
    const against = 'against the durable peer (same Nest app: JetStream js.publish, durable consumer, jose)';
    rows.push(
      [
        `End to end, alerts/s, ${against}`,
        int(r.enlace.e2e_per_s),
        '',
        int(dp.e2e_per_s),
        `${ratio(r.ratios['e2e_vs_durable_peer'])} durable peer`,
        met('end to end ÷ durable peer'),
      ],
      [
        `CPU time per alert, end to end, ${against} (µs)`,
        int(r.enlace.e2e_cpu_us),
        '',
        int(dp.e2e_cpu_us),
        `${ratio(r.ratios['e2e_vs_durable_peer_cpu'])} durable peer`,
        '',
      ],
    );
    for (const load of [100, 1_000]) {
      rows.push([
        `Latency p50 / p99 at ${int(load)} alerts/s, against the durable peer`,
        `${ms(r.latency_ms[`p50_at_${load}`])} / ${ms(r.latency_ms[`p99_at_${load}`])}`,
        '',
        `${ms(dp.latency_ms[`p50_at_${load}`])} / ${ms(dp.latency_ms[`p99_at_${load}`])}`,
        '',
        '',
      ]);
    }
  }
  for (const n of [10, 50, 200]) {
    rows.push([
      `Fan-out of one alert to ${n} nodes, until all hold it verified (median / max of ${r.enlace.fanout_rounds})`,
      `${ms(r.fanout_ms[`n${n}`])} / ${ms(r.fanout_ms[`n${n}_max`])}`,
      '',
      '',
      '',
      n === 200 ? met('fan-out to 200 nodes (ms)') : '',
    ]);
  }
  rows.push([
    `Replay of a ${int(r.enlace.replay.alerts)}-alert stream, alerts/s`,
    int(r.enlace.replay.per_s),
    `${int(c['js_consume_per_s'])} JetStream consume/s`,
    '',
    `${ratio(r.ratios['replay_vs_raw_consume'])} raw consume`,
    '',
  ]);
  const mt = r.matching;
  if (mt !== undefined) {
    rows.push(
      [
        `Hit/no-hit match, one digest among ${int(mt.digests)} (parse, index, access filter, answer), p50 / p99`,
        `${mt.single_p50_ms.toFixed(4)} ms / ${mt.single_p99_ms.toFixed(4)} ms`,
        `${mt.map_p99_ms.toFixed(4)} ms p99 (bare Map lookup)`,
        '',
        '',
        `p99 ${met('matching p99, one digest among 1,000,000 (ms)')}`,
      ],
      [
        `Hit/no-hit match, one request of ${int(mt.bulk_digests)} digests; index load, memory`,
        `${ms(mt.bulk_ms)}; ${ms(mt.load_ms)} to load, ${mt.index_mb.toFixed(0)} MB`,
        '',
        '',
        '',
        '',
      ],
    );
  }
  const lines = rows.map((row) => `| ${row.join(' | ')} |`);
  lines.splice(1, 0, `|${rows[0]!.map(() => ' --- ').join('|')}|`);
  const m = r.machine;
  const stages =
    r.stages_us === undefined
      ? []
      : [
          '',
          'CPU per alert, stage by stage (each alone over the same alerts, median of the runs):',
          '',
          renderStages(r.stages_us, { publish: r.enlace.publish_cpu_us, e2e: r.enlace.e2e_cpu_us }),
        ];
  return [
    `${r.mode} run of ${r.started_at.slice(0, 16).replace('T', ' ')} UTC, ${r.duration_s} s: ${m.cpus} × ${m.model}, ` +
      `${m.memory_gib} GiB, load average ${m.load_average_1m_at_start} at start and ${m.load_average_1m_at_end} at end; Node ${r.versions.node}, ` +
      `nats-server ${r.versions.nats_server}; alerts of ${r.alert.signed_bytes} B (${r.alert.envelope_bytes} B envelope).`,
    ...(r.versions.sqlite_driver === undefined
      ? []
      : [`SQLite driver of the stores: ${r.versions.sqlite_driver}.`]),
    '',
    ...lines,
    ...stages,
  ].join('\n');
}

export function replaceTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return `${readme.trimEnd()}\n\n${START}\n${table}\n${END}\n`;
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}
