/**
 * Human-readable rendering of an alert for the terminal. Works on the proto3 JSON form so what
 * an officer reads is exactly what `--json` gives a script.
 */

type Json = Record<string, unknown>;

const HANDLING: Record<string, string> = {
  HANDLING_CODE_H0: 'H0 purpose-limited use',
  HANDLING_CODE_H1: 'H1 not for judicial proceedings without the originator’s consent',
  HANDLING_CODE_H2: 'H2 no onward dissemination without consent',
  HANDLING_CODE_H3: 'H3 other restrictions',
};

function shortEnum(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? '-' : String(value);
  // ALERT_KIND_ROUTE → route, TLP_MARKING_AMBER_STRICT → TLP:AMBER+STRICT (TLP 2.0 spelling)
  if (value.startsWith('TLP_MARKING_')) return `TLP:${value.slice(12).replace('_STRICT', '+STRICT')}`;
  const parts = value.split('_');
  return parts[parts.length - 1]!.toLowerCase();
}

function line(label: string, value: string): string {
  return `  ${label.padEnd(12)} ${value}\n`;
}

export function renderAlert(alertJson: Json): string {
  const header = (alertJson['header'] ?? {}) as Json;
  const grading = (header['grading'] ?? {}) as Json;
  const { header: _header, ...body } = alertJson;
  let out = '';
  out += `Alert ${String(header['id'] ?? '(no id)')}\n`;
  out += line('kind', shortEnum(header['kind']));
  out += line('network', String(header['network'] ?? '-'));
  out += line('origin', String(header['origin'] ?? '-'));
  if (header['title']) out += line('title', String(header['title']));
  out += line('issued', String(header['issuedAt'] ?? '-'));
  out += line('expires', String(header['expiresAt'] ?? '-'));
  const handling = typeof header['handling'] === 'string' ? header['handling'] : '';
  out += line('handling', HANDLING[handling] ?? (handling || '-'));
  if (header['handlingNote']) out += line('', String(header['handlingNote']));
  out += line('marking', shortEnum(header['tlp']));
  const reliability = shortEnum(grading['sourceReliability']).toUpperCase();
  const credibility = shortEnum(grading['informationCredibility']);
  out += line('grading', grading['sourceReliability'] ? `${reliability}${credibility}` : '-');
  const recipients = header['recipients'];
  out += line(
    'recipients',
    Array.isArray(recipients) && recipients.length > 0
      ? `${recipients.join(' ')} (restricted)`
      : 'all countries the policy allows',
  );
  for (const key of ['supersedesId', 'retractsId'] as const) {
    if (header[key]) out += line(key === 'supersedesId' ? 'supersedes' : 'retracts', String(header[key]));
  }
  if (handling === 'HANDLING_CODE_H1') {
    out += '  ! H1: do not use in judicial proceedings without the originator’s consent\n';
  }
  if (handling === 'HANDLING_CODE_H2') {
    out += '  ! H2: do not pass on to anyone else without the originator’s consent\n';
  }
  out += `Body\n${JSON.stringify(body, null, 2).replace(/^/gm, '  ')}\n`;
  return out;
}
