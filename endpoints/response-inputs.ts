import type { OpenClawConfig } from '../lib/config/index.js';
import { invalidRequest } from '../lib/errors.js';
import type { ImagePart } from '../lib/providers/model-provider.js';
import type { GuardedUrlFetcher, UrlFetchLimits } from './guarded-url-fetcher.js';
import { pdfImages, pdfText } from './pdf-text.js';

/** `gateway.http.endpoints.responses`. */
export type ResponsesEndpointConfig = NonNullable<NonNullable<NonNullable<NonNullable<OpenClawConfig['gateway']>['http']>['endpoints']>['responses']>;

interface InputKindLimits extends UrlFetchLimits {
  allowUrl: boolean;
}

/** The limits on `input_image` / `input_file` parts, config over the documented defaults. */
export interface ResponseInputLimits {
  /** URL-sourced image and file parts in one request. */
  maxUrlParts: number;
  images: InputKindLimits;
  files: InputKindLimits & { maxChars: number; pdf: { maxPages: number; maxPixels: number; minTextChars: number } };
}

const MB = 1024 * 1024;
const IMAGE_MIMES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const FILE_MIMES = ['text/plain', 'text/markdown', 'text/html', 'text/csv', 'application/json', 'application/pdf'];

/**
 * Limits from `gateway.http.endpoints.responses` (docs/protocol.md): defaults as upstream
 * documents them; `dangerouslyAllowPrivateNetwork` under `files` / `images` lets URL fetches
 * reach private, loopback and link-local addresses.
 */
export function responseInputLimits(config: ResponsesEndpointConfig = {}): ResponseInputLimits {
  const kind = (raw: Record<string, unknown> | undefined, mimes: string[], maxBytes: number): InputKindLimits => ({
    allowUrl: raw?.allowUrl !== false,
    allowedMimes: new Set((stringList(raw?.allowedMimes) ?? mimes).map((m) => m.trim().toLowerCase())),
    maxBytes: positive(raw?.maxBytes) ?? maxBytes,
    timeoutMs: positive(raw?.timeoutMs) ?? 10_000,
    maxRedirects: count(raw?.maxRedirects) ?? 3,
    urlAllowlist: stringList(raw?.urlAllowlist)?.filter((h) => h.trim()) ?? [],
    allowPrivateNetwork: raw?.dangerouslyAllowPrivateNetwork === true,
  });
  const pdf = config.files?.pdf;
  return {
    maxUrlParts: count(config.maxUrlParts) ?? 8,
    images: kind(config.images, IMAGE_MIMES, 10 * MB),
    files: {
      ...kind(config.files, FILE_MIMES, 5 * MB),
      maxChars: positive(config.files?.maxChars) ?? 200_000,
      pdf: { maxPages: positive(pdf?.maxPages) ?? 4, maxPixels: positive(pdf?.maxPixels) ?? 4_000_000, minTextChars: count(pdf?.minTextChars) ?? 200 },
    },
  };
}

interface Source {
  /** Base64 bytes with their declared type, or a URL to fetch. */
  data?: string;
  mime?: string;
  url?: string;
  filename?: string;
}

/**
 * The image and file parts of one request, read: base64 decoded and checked, URLs fetched
 * within the limits (counted across the request), PDFs turned into text.
 */
export class ResponseInputReader {
  readonly #limits: ResponseInputLimits;
  readonly #fetcher: GuardedUrlFetcher;
  #urlParts = 0;

  constructor(limits: ResponseInputLimits, fetcher: GuardedUrlFetcher) {
    this.#limits = limits;
    this.#fetcher = fetcher;
  }

  /** An `input_image` part as an image for the model. */
  async image(part: Record<string, unknown>): Promise<ImagePart> {
    const limits = this.#limits.images;
    const source = sourceOf(part, 'image_url');
    const { bytes, mimeType } = await this.#bytes(source, limits, 'image', 'images');
    return { type: 'image', data: bytes.toString('base64'), mimeType };
  }

  /**
   * An `input_file` part as a `<file>` block of text for the message, and for a PDF with little
   * text (`files.pdf.minTextChars`) the pictures embedded in its first pages.
   */
  async file(part: Record<string, unknown>): Promise<{ text: string; images: ImagePart[] }> {
    const limits = this.#limits.files;
    const source = sourceOf(part, 'file_data', 'file_url');
    const { bytes, mimeType, url } = await this.#bytes(source, limits, 'file', 'files');
    let text: string;
    let note = '';
    let images: ImagePart[] = [];
    if (mimeType === 'application/pdf') {
      const pdf = await pdfText(bytes, limits.pdf);
      text = pdf.text;
      if (pdf.pagesRead < pdf.totalPages) note += `\n[first ${pdf.pagesRead} of ${pdf.totalPages} pages]`;
      if (text.length < limits.pdf.minTextChars) {
        images = await pdfImages(bytes, limits.pdf);
        note += images.length ? `\n[little text: ${images.length} embedded image(s) of these pages are attached]` : '\n[little text and no embedded images]';
      }
    } else {
      text = bytes.toString('utf8');
    }
    if (text.length > limits.maxChars) {
      text = text.slice(0, limits.maxChars);
      note += `\n[truncated at ${limits.maxChars} characters]`;
    }
    const name = (source.filename ?? (url ? new URL(url).pathname.split('/').pop() : undefined) ?? 'file').replace(/"/g, '') || 'file';
    return { text: `<file name="${name}">\n${text}${note}\n</file>`, images };
  }

  async #bytes(source: Source, limits: InputKindLimits, kind: 'image' | 'file', key: 'images' | 'files'): Promise<{ bytes: Buffer; mimeType: string; url?: string }> {
    if (source.url !== undefined) {
      if (!limits.allowUrl) throw invalidRequest(`${kind} URLs are turned off (gateway.http.endpoints.responses.${key}.allowUrl); send the content as base64`);
      if (++this.#urlParts > this.#limits.maxUrlParts) throw invalidRequest(`too many URL inputs: more than ${this.#limits.maxUrlParts} in one request`);
      return this.#fetcher.fetch(source.url, limits, `${kind} URL`);
    }
    const mimeType = source.mime?.split(';')[0]!.trim().toLowerCase() ?? '';
    if (!limits.allowedMimes.has(mimeType)) {
      throw invalidRequest(`unsupported ${kind} type ${source.mime ?? '(none)'}; accepted: ${[...limits.allowedMimes].join(', ')}`);
    }
    const data = source.data!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw invalidRequest(`${kind} data is not base64`);
    if (Math.floor((data.length * 3) / 4) - (data.match(/=+$/)?.[0].length ?? 0) > limits.maxBytes) {
      throw invalidRequest(`${kind} larger than ${limits.maxBytes} bytes`);
    }
    return { bytes: Buffer.from(data, 'base64'), mimeType };
  }
}

/** Where a part's content is: `source` (base64 or url), or the OpenAI-style URL / data-URL fields. */
function sourceOf(part: Record<string, unknown>, ...urlFields: string[]): Source {
  const filename = typeof part.filename === 'string' ? part.filename : undefined;
  const source = part.source as { type?: unknown; media_type?: unknown; data?: unknown; url?: unknown; filename?: unknown } | undefined;
  if (source?.type === 'base64' && typeof source.data === 'string') {
    return {
      data: source.data,
      mime: typeof source.media_type === 'string' ? source.media_type : undefined,
      filename: typeof source.filename === 'string' ? source.filename : filename,
    };
  }
  const field = urlFields.map((f) => part[f]).find((v): v is string => typeof v === 'string');
  const url = source?.type === 'url' && typeof source.url === 'string' ? source.url : field;
  if (url === undefined) throw invalidRequest(`${String(part.type)} needs a base64 or url source`);
  const dataUrl = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (dataUrl) return { data: dataUrl[2]!, mime: dataUrl[1], filename };
  return { url, filename };
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}
