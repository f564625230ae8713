/**
 * `enlace registry snapshot`: fetch the signed registry snapshot and verify it against the
 * pinned registry key.
 */
import type { Command } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { readStructuredFile, writeOutputFile } from '../../io.js';
import { connect, print, registryCall } from './options.js';

export function addSnapshotCommand(registry: Command, io: CliIo): void {
  registry
    .command('snapshot')
    .summary('fetch the signed registry snapshot and verify it against the pinned registry key')
    .description(
      'Fetch the signed registry snapshot (compact JWS). With --verify-with, check it against the ' +
        'registry key you pinned (registry.public.jwk, or GET /.well-known/enlace-registry.jwk); ' +
        'exit code 1 when it does not verify.',
    )
    .option('--url <url>', 'registry base URL (default: $ENLACE_REGISTRY_URL)')
    .option('-o, --out <file>', 'write the JWS to this file')
    .option('--verify-with <jwk>', 'the pinned registry public key (JWK file)')
    .option('--json', 'print { verified, revision, generatedAt, registryKid, countries, keys }')
    .exitOverride()
    .action(async (opts: { url?: string; out?: string; verifyWith?: string; json?: boolean }) => {
      const jws = (await registryCall(connect(opts, io, false).snapshot())).trim();
      let snapshot: Record<string, unknown>;
      let verified = false;
      if (opts.verifyWith !== undefined) {
        const pinned = await readStructuredFile(opts.verifyWith, 'pinned registry key');
        const { verifySignedSnapshot, TrustError: RegistryError } = await import('@enlace/trust');
        try {
          snapshot = (await verifySignedSnapshot(jws, pinned)) as unknown as Record<string, unknown>;
          verified = true;
        } catch (cause) {
          if (cause instanceof RegistryError) {
            throw new CliError(
              'ERR_VERIFICATION_FAILED',
              `the snapshot does not verify (${cause.code}): ${cause.message}`,
              {
                cause,
                exitCode: cause.code === 'ERR_VALIDATION' ? 2 : 1,
              },
            );
          }
          throw cause;
        }
      } else {
        snapshot = decodePayload(jws);
      }
      if (opts.out !== undefined) await writeOutputFile(opts.out, `${jws}\n`);
      const policy = (snapshot['policy'] ?? {}) as { countries?: unknown[]; memberships?: unknown[] };
      const summary = {
        verified,
        revision: snapshot['revision'],
        generatedAt: snapshot['generatedAt'],
        registryKid: snapshot['registryKid'],
        countries: policy.countries?.length ?? 0,
        memberships: policy.memberships?.length ?? 0,
        keys: Array.isArray(snapshot['keys']) ? snapshot['keys'].length : 0,
        ...(opts.out !== undefined && { out: opts.out }),
      };
      print(io, opts, summary, () => {
        let out = `Snapshot revision ${String(summary.revision)} generated ${String(summary.generatedAt)} by ${String(summary.registryKid)}\n`;
        out += `  ${summary.countries} countries, ${summary.memberships} memberships, ${summary.keys} keys\n`;
        out += verified
          ? `  signature   verified with the pinned key ${opts.verifyWith}\n`
          : '  signature   NOT VERIFIED (pass --verify-with <pinned registry JWK>)\n';
        if (opts.out !== undefined) out += `  written to  ${opts.out}\n`;
        return out;
      });
    });
}

function decodePayload(jws: string): Record<string, unknown> {
  const parts = jws.split('.');
  try {
    if (parts.length !== 3) throw new Error('not three parts');
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new CliError(
      'ERR_REGISTRY_UNREACHABLE',
      'the registry answered something that is not a snapshot JWS',
      {
        cause,
        exitCode: 1,
      },
    );
  }
}
