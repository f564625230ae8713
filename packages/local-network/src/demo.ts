/**
 * `npm start -- --demo`: a realistic stream of alerts between the running countries. The drafts
 * of seeds/demo (a route, a counterfeit passport series, a smuggling network's financier) are
 * published in turn, each from the next running country as its origin, through that country's
 * node API with its officer token: exactly what an officer's tool does.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeClient, EnlaceHttpError, UnexpectedResponseError } from '@enlace/client';
import { parse } from 'yaml';

export interface DemoNode {
  readonly url: string;
  readonly token: string;
}

export interface DemoPublished {
  readonly origin: string;
  readonly draft: string;
  readonly id?: string;
  readonly subject?: string;
  /** Set when the node refused: its error code and message. */
  readonly error?: string;
}

/** The demo drafts, by file name. */
export async function loadDemoDrafts(
  dir: string,
): Promise<Array<{ name: string; draft: Record<string, unknown> }>> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (file) => ({
      name: file.replace(/\.yaml$/, ''),
      draft: parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>,
    })),
  );
}

/** The draft as `origin` would publish it: same content, its own origin, a fresh expiry. */
function asOrigin(draft: Record<string, unknown>, origin: string, now: Date): Record<string, unknown> {
  const header = { ...(draft['header'] as Record<string, unknown>) };
  header['origin'] = origin;
  header['expiresAt'] = new Date(now.getTime() + 90 * 24 * 3600 * 1000).toISOString();
  return { ...draft, header };
}

/** Publishes one demo alert: draft number `round` from origin number `round`. */
export async function publishDemoAlert(
  nodes: Readonly<Record<string, DemoNode>>,
  drafts: ReadonlyArray<{ name: string; draft: Record<string, unknown> }>,
  round: number,
): Promise<DemoPublished> {
  const origins = Object.keys(nodes);
  const origin = origins[round % origins.length]!;
  const { name, draft } = drafts[round % drafts.length]!;
  const node = nodes[origin]!;
  try {
    const published = await createNodeClient({ baseUrl: node.url, token: node.token }).alerts.publish(
      asOrigin(draft, origin, new Date()),
    );
    return { origin, draft: name, id: published.id, subject: published.subject };
  } catch (error) {
    // A refusal is part of the demo's report; a node that cannot be reached is thrown to startDemo.
    if (error instanceof EnlaceHttpError)
      return { origin, draft: name, error: `${error.code}: ${error.message}` };
    if (error instanceof UnexpectedResponseError)
      return { origin, draft: name, error: `HTTP ${error.status}: ${error.message}` };
    throw error;
  }
}

/** Publishes a demo alert every `intervalMs` until stopped, with the nodes (and tokens) `nodes()` gives now; reports each one. */
export function startDemo(
  nodes: () => Readonly<Record<string, DemoNode>>,
  drafts: ReadonlyArray<{ name: string; draft: Record<string, unknown> }>,
  options: { intervalMs: number; report: (published: DemoPublished) => void },
): { stop(): Promise<void> } {
  let round = 0;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = publishDemoAlert(nodes(), drafts, round++).then(options.report, (error: unknown) =>
      options.report({
        origin: '?',
        draft: '?',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
