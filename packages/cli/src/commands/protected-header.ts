/** Best-effort decoding of a JWS protected header for display (verification does its own, strict). */
export function decodeProtectedHeader(encoded: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
