import { invalidRequest } from '../lib/errors.js';
import type { ImagePart } from '../lib/providers/model-provider.js';
import { encodePng } from './png-encoder.js';

export interface PdfTextLimits {
  /** Pages read from the start of the document. */
  maxPages: number;
}

export interface PdfText {
  /** The pages' text, pages separated by a blank line. */
  text: string;
  pagesRead: number;
  totalPages: number;
}

/**
 * The text layer of a PDF's first pages, read with unpdf (PDF.js built for servers: no worker, no
 * eval). A file PDF.js cannot open is an `INVALID_REQUEST` error.
 */
export async function pdfText(bytes: Uint8Array, limits: PdfTextLimits): Promise<PdfText> {
  let doc;
  try {
    // PDF.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
    const { getDocumentProxy } = await import('unpdf');
    doc = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false });
  } catch (err) {
    throw invalidRequest(`file is not a readable PDF (${(err as Error).message})`);
  }
  try {
    const pagesRead = Math.min(doc.numPages, limits.maxPages);
    const pages: string[] = [];
    for (let n = 1; n <= pagesRead; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str + (item.hasEOL ? '\n' : item.str && !item.str.endsWith(' ') ? ' ' : '');
      }
      pages.push(text.replace(/[ \t]+\n/g, '\n').trim());
      page.cleanup();
    }
    return { text: pages.filter(Boolean).join('\n\n'), pagesRead, totalPages: doc.numPages };
  } catch (err) {
    throw invalidRequest(`file is not a readable PDF (${(err as Error).message})`);
  } finally {
    await doc.destroy();
  }
}

/**
 * The pictures embedded in a PDF's first pages, as PNG image parts, while their pixels add up to
 * at most `maxPixels`: what a scanned document (pages that are one picture each, no text layer)
 * has to show. Pages are not rendered: that would need a canvas library.
 */
export async function pdfImages(bytes: Uint8Array, limits: { maxPages: number; maxPixels: number }): Promise<ImagePart[]> {
  // PDF.js decodes no image larger than maxImageSize: a compressed picture claiming huge
  // dimensions is skipped before it can take the memory.
  // Loaded with the first PDF: a gateway that reads none never loads PDF.js.
  const { extractImages, getDocumentProxy } = await import('unpdf');
  const doc = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, maxImageSize: Math.max(1, limits.maxPixels) }).catch((err: unknown) => {
    throw invalidRequest(`file is not a readable PDF (${(err as Error).message})`);
  });
  try {
    const images: ImagePart[] = [];
    let budget = limits.maxPixels;
    for (let n = 1; n <= Math.min(doc.numPages, limits.maxPages); n++) {
      for (const img of await extractImages(doc, n)) {
        const pixels = img.width * img.height;
        if (pixels > budget) continue;
        budget -= pixels;
        images.push({ type: 'image', mimeType: 'image/png', data: encodePng(img.data, img.width, img.height, img.channels).toString('base64') });
      }
    }
    return images;
  } catch (err) {
    throw invalidRequest(`the pictures of this PDF could not be read (${(err as Error).message})`);
  } finally {
    await doc.destroy();
  }
}
