/**
 * Streaming answers as async iterables: newline-delimited JSON read record by record (a feed's
 * tail or replay) and text read chunk by chunk (an export). A service that fails after the
 * stream began ends it with an error line `{"error":{...}}`; both readers throw it as an
 * EnlaceHttpError (status 500: the HTTP status was already sent). Web streams only.
 */
import { EnlaceHttpError, parseServiceError, UnexpectedResponseError } from './errors.js';
import type { HttpTransport } from './http-transport.js';

/** Records of a stream, with the number of alerts the service will look at (Enlace-Pending). */
export interface RecordStream<T> extends AsyncIterable<T> {
  /** From the Enlace-Pending header; undefined when the service did not say. */
  readonly pending: number | undefined;
}

/** A text stream (JSON Lines or a STIX bundle), in chunks that end at a line boundary. */
export interface TextStream extends AsyncIterable<string> {
  readonly pending: number | undefined;
  readonly contentType: string;
  /** From Content-Disposition, e.g. mx-cases.stix.json */
  readonly filename: string | undefined;
}

function pendingOf(response: Response): number | undefined {
  const value = response.headers.get('enlace-pending');
  const n = value === null ? Number.NaN : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** The error a line carries, if it is an error line. */
function errorLine(transport: HttpTransport, line: string): EnlaceHttpError | undefined {
  if (!line.startsWith('{"error"')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
  const body = parseServiceError(json);
  return body === undefined ? undefined : new EnlaceHttpError(transport.service, 500, body);
}

/** Text of a body in chunks cut after the last newline, so no line is ever split in two. */
async function* lineChunks(
  transport: HttpTransport,
  response: Response,
  signal: AbortSignal | undefined,
): AsyncGenerator<string> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        throw transport.unreachable(cause, signal);
      }
      const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      const scan = rest + text;
      const cut = chunk.done ? scan.length : scan.lastIndexOf('\n') + 1;
      const ready = scan.slice(0, cut);
      rest = scan.slice(cut);
      if (ready !== '') {
        const errorAt = ready.startsWith('{"error"') ? 0 : ready.indexOf('\n{"error"') + 1;
        if (errorAt > 0 || ready.startsWith('{"error"')) {
          const line = ready.slice(errorAt).split('\n')[0]!;
          const error = errorLine(transport, line);
          if (error !== undefined) {
            if (errorAt > 0) yield ready.slice(0, errorAt);
            throw error;
          }
        }
        yield ready;
      }
      if (chunk.done) return;
    }
  } finally {
    // Stop the download when the reader stops early (break, error, limit reached).
    await reader.cancel().catch(() => undefined);
  }
}

export function textStream(transport: HttpTransport, response: Response, signal?: AbortSignal): TextStream {
  const disposition = response.headers.get('content-disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1];
  return {
    pending: pendingOf(response),
    contentType: response.headers.get('content-type') ?? '',
    filename,
    [Symbol.asyncIterator]: () => lineChunks(transport, response, signal),
  };
}

/** Newline-delimited JSON, one value per line; an error line throws. */
export function ndjsonStream<T>(
  transport: HttpTransport,
  response: Response,
  url: URL,
  signal?: AbortSignal,
): RecordStream<T> {
  async function* records(): AsyncGenerator<T> {
    for await (const chunk of lineChunks(transport, response, signal)) {
      for (const raw of chunk.split('\n')) {
        const line = raw.trim();
        if (line === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line) as unknown;
        } catch (cause) {
          throw new UnexpectedResponseError(transport.service, 'malformed_json', response.status, url, {
            cause,
          });
        }
        yield value as T;
      }
    }
  }
  return { pending: pendingOf(response), [Symbol.asyncIterator]: records };
}
