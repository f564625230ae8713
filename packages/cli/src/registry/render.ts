/**
 * Plain-text rendering of registry records for the terminal: aligned tables and short
 * summaries. `--json` gives scripts the registry's own JSON instead.
 */

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  if (rows.length === 0) return '(none)\n';
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export interface StatusChange {
  status: string;
  effectiveAt: string;
  actor?: string;
  reason?: string;
  decision?: string;
}

export interface CountryJson {
  code: string;
  names?: { en?: string; es?: string; fr?: string; pt?: string };
  statusHistory?: readonly StatusChange[];
}

/** The status in force now (the last change at or before now), else the first scheduled one. */
export function currentStatus(country: CountryJson, now = new Date()): StatusChange | undefined {
  const history = country.statusHistory ?? [];
  const past = history.filter((change) => Date.parse(change.effectiveAt) <= now.getTime());
  return past[past.length - 1] ?? history[0];
}

export function renderCountry(country: CountryJson): string {
  const status = currentStatus(country);
  let out = `${country.code}  ${country.names?.en ?? ''}\n`;
  if (country.names !== undefined) {
    out += `  names       en ${country.names.en ?? '-'} | es ${country.names.es ?? '-'} | fr ${country.names.fr ?? '-'} | pt ${country.names.pt ?? '-'}\n`;
  }
  out += `  status      ${status?.status ?? '-'}${status === undefined ? '' : ` since ${status.effectiveAt}`}\n`;
  out += '  history\n';
  for (const change of country.statusHistory ?? []) {
    const why = [change.reason, change.decision].filter((x) => x !== undefined && x !== '').join('; ');
    out += `    ${change.effectiveAt}  ${change.status.padEnd(9)}  ${change.actor ?? '-'}${why === '' ? '' : `  (${why})`}\n`;
  }
  return out;
}

export interface KeyJson {
  kid: string;
  country: string;
  use: string;
  notBefore: string;
  notAfter?: string;
  revokedAt?: string;
  revocationReason?: string;
}

export function keyState(key: KeyJson, now = new Date()): string {
  const t = now.getTime();
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= t) return `revoked ${key.revokedAt}`;
  if (Date.parse(key.notBefore) > t) return 'not yet valid';
  if (key.notAfter !== undefined && Date.parse(key.notAfter) <= t) return 'expired';
  return key.revokedAt === undefined ? 'active' : `active (revoked from ${key.revokedAt})`;
}
