export interface TinyPdfPage {
  text?: string;
  /** An uncompressed RGB picture drawn over the page (a "scanned" page). */
  image?: { width: number; height: number; rgb: Buffer };
}

/**
 * A minimal valid PDF, built byte by byte: one page per entry, showing its text in Helvetica
 * and/or its picture. For tests that need a real PDF without a PDF writer.
 */
export function tinyPdf(pages: ReadonlyArray<string | TinyPdfPage>): Buffer {
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 3);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  pages.forEach((entry, i) => {
    const page = typeof entry === 'string' ? { text: entry } : entry;
    const id = pageIds[i]!;
    let stream = '';
    let xobjects = '';
    if (page.image) {
      const { width, height, rgb } = page.image;
      stream += 'q 468 0 0 648 72 72 cm /Im1 Do Q ';
      xobjects = ` /XObject << /Im1 ${id + 2} 0 R >>`;
      objects[id + 2] =
        `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${rgb.length} >>\nstream\n` +
        `${rgb.toString('latin1')}\nendstream`;
    }
    if (page.text) stream += `BT /F1 12 Tf 72 720 Td (${page.text.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj ET`;
    objects[id] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >>${xobjects} >> /Contents ${id + 1} 0 R >>`;
    objects[id + 1] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
    objects[id + 2] ??= '<< >>';
  });
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(out, 'latin1');
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
