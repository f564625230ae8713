/**
 * `enlace registry networks`, `enlace registry policy` and `enlace registry glossary`: what the
 * registry holds of the process's rules — the networks and their mandates, the access-policy
 * rules with their legal basis, a decision on one action, and the glossary of terms.
 */
import type { NetworkJson, PolicyDecisionJson } from '@enlace/client';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { table } from '../../registry/render.js';
import { connect, endpoint, print, registryCall, upperCountry } from './options.js';
import type { EndpointOptions } from './options.js';

const LANGUAGES = ['en', 'es', 'fr', 'pt'] as const;
type Language = (typeof LANGUAGES)[number];

interface Basis {
  conference?: unknown;
  decision?: unknown;
}

function text(value: unknown, lang: Language): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const localized = (value as Record<string, unknown>)[lang] ?? (value as Record<string, unknown>)['en'];
    if (typeof localized === 'string') return localized.replace(/\s+/g, ' ').trim();
  }
  return '';
}

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.join(',') : '*';
}

function basisLines(basis: unknown): string[] {
  if (!Array.isArray(basis)) return [];
  return (basis as Basis[]).map((b) => `${String(b.conference ?? '?')}, ${String(b.decision ?? '?')}`);
}

function renderNetwork(network: NetworkJson, lang: Language): string {
  let out = `${network.id}  ${text(network['names'], lang)}\n`;
  out += `  kinds       ${list(network['kinds'])}\n`;
  out += `  roles       ${list(network['roles'])}\n`;
  const mandate = text(network['mandate'], lang);
  if (mandate !== '') out += `  mandate     ${mandate}\n`;
  for (const line of basisLines(network['basis'])) out += `  basis       ${line}\n`;
  return out;
}

function renderDecision(decision: PolicyDecisionJson): string {
  const head = decision.allowed ? 'allowed' : `denied (${decision.reason ?? 'no reason given'})`;
  let out = `${head}${decision.message !== undefined ? `: ${decision.message}` : ''}\n`;
  if (decision.rules !== undefined && decision.rules.length > 0)
    out += `  rules       ${decision.rules.join(', ')}\n`;
  for (const line of basisLines(decision.basis)) out += `  basis       ${line}\n`;
  return out;
}

const language = (): Option =>
  new Option('--lang <lang>', 'language of names and mandates').choices(LANGUAGES).default('en');

export function addPolicyCommands(registry: Command, io: CliIo): void {
  const networks = registry
    .command('networks')
    .description('the networks of the process, their mandates and the decisions they rest on')
    .exitOverride();
  endpoint(networks.command('list').description('list networks'))
    .addOption(language())
    .action(async (opts: EndpointOptions & { lang: Language }) => {
      const body = await registryCall(connect(opts, io).networks.list());
      print(io, opts, body, () =>
        table(
          ['ID', 'KINDS', 'NAME'],
          body.items.map((n) => [n.id, list(n['kinds']), text(n['names'], opts.lang)]),
        ),
      );
    });
  endpoint(networks.command('show').description('one network with its mandate and legal basis'))
    .argument('<id>', 'network id, e.g. trafficking-liaison')
    .addOption(language())
    .action(async (id: string, opts: EndpointOptions & { lang: Language }) => {
      const network = await registryCall(connect(opts, io).networks.get(id));
      print(io, opts, network, () => renderNetwork(network, opts.lang));
    });

  const policy = registry
    .command('policy')
    .description('the access-policy rules and what they decide')
    .exitOverride();
  endpoint(policy.command('rules').description('list the policy rules with their legal basis')).action(
    async (opts: EndpointOptions) => {
      const body = await registryCall(connect(opts, io).policy.rules());
      print(io, opts, body, () =>
        table(
          ['ID', 'EFFECT', 'ACTION', 'NETWORKS', 'KINDS', 'ROLES', 'BASIS'],
          body.items.map((r) => [
            r.id,
            r.effect,
            r.action,
            list(r.networks),
            list(r.kinds),
            list(r.roles),
            basisLines((r as { basis?: unknown }).basis).join('; '),
          ]),
        ),
      );
    },
  );
  endpoint(
    policy
      .command('decide')
      .summary('may a country publish (or receive) an alert of this kind on this network?')
      .description(
        'Ask the registry whether --origin may publish, or --receiver may receive, an alert of --kind ' +
          'on --network (at --at, default now). Prints the decision with the rules and decisions it ' +
          'rests on; exit code 0 when allowed, 1 when denied.',
      ),
  )
    .addOption(
      new Option('--action <action>', 'publish or receive')
        .choices(['publish', 'receive'])
        .makeOptionMandatory(),
    )
    .requiredOption('-n, --network <id>', 'network id, e.g. trafficking-liaison')
    .addOption(
      new Option('--kind <kind>', 'alert kind')
        .choices(['route', 'document', 'network'])
        .makeOptionMandatory(),
    )
    .requiredOption('--origin <code>', 'the publishing country')
    .option('--receiver <code>', 'the receiving country (with --action receive)')
    .addOption(new Option('--handling <code>', 'handling code').choices(['H0', 'H1', 'H2', 'H3']))
    .option('--at <instant>', 'as things stood at this instant (RFC 3339 UTC); default now')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace registry policy decide --action receive --network trafficking-liaison \\\n' +
        '      --kind route --origin MX --receiver JM\n',
    )
    .action(
      async (
        opts: EndpointOptions & {
          action: 'publish' | 'receive';
          network: string;
          kind: 'route' | 'document' | 'network';
          origin: string;
          receiver?: string;
          handling?: 'H0' | 'H1' | 'H2' | 'H3';
          at?: string;
        },
      ) => {
        if (opts.action === 'receive' && opts.receiver === undefined)
          throw new CliError('ERR_USAGE', '--action receive needs --receiver <code>: the receiving country');
        const decision = await registryCall(
          connect(opts, io).policy.decide({
            action: opts.action,
            network: opts.network,
            kind: opts.kind,
            origin: upperCountry(opts.origin, '--origin'),
            ...(opts.receiver !== undefined && { receiver: upperCountry(opts.receiver, '--receiver') }),
            ...(opts.handling !== undefined && { handling: opts.handling }),
            ...(opts.at !== undefined && { at: opts.at }),
          }),
        );
        print(io, opts, decision, () => renderDecision(decision));
        if (!decision.allowed) {
          throw new CliError(
            'ERR_POLICY_DENIED',
            `the policy denies it (${decision.reason ?? 'no reason given'})`,
            { exitCode: 1 },
          );
        }
      },
    );

  endpoint(registry.command('glossary').description('the glossary of terms of the process'))
    .option('--category <category>', 'only this category, e.g. document-fraud')
    .addOption(language())
    .action(async (opts: EndpointOptions & { category?: string; lang: Language }) => {
      const body = await registryCall(connect(opts, io).glossary());
      const items = body.items.filter((t) => opts.category === undefined || t.category === opts.category);
      print(io, opts, { ...body, items }, () =>
        table(
          ['ID', 'CATEGORY', 'TERM'],
          items.map((t) => [t.id, t.category, t.labels[opts.lang]]),
        ),
      );
    });
}
