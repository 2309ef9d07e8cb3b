import { randomBytes } from 'node:crypto';

/** A part of a multipart/form-data body: a text field, or a file with its name and declared type. */
export type FormPart = { name: string; value: string; type?: string } | { name: string; filename: string; data: Buffer; type?: string };

/** A multipart/form-data body (RFC 7578) and its Content-Type, as a browser or curl -F sends it. */
export function multipartForm(parts: FormPart[]): { payload: Buffer; contentType: string } {
  const boundary = `----ticketing${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('filename' in part) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename.replace(/["\\]/g, (c) => `\\${c}`)}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        part.data,
        Buffer.from('\r\n'),
      );
    } else {
      const type = part.type ? `\r\nContent-Type: ${part.type}` : '';
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${type}\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A 1×1 PNG. */
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2a3e0a50000000049454e44ae426082',
  'hex',
);

/** A zip archive holding one empty file `a.txt`. */
export const ZIP = Buffer.from(
  '504b03040a0000000000000021000000000000000000000000000500000061' +
    '2e747874504b01021e030a000000000000002100000000000000000000000000' +
    '05000000000000000000000000000000000000612e747874504b0506000000000100010033000000230000000000',
  'hex',
);
