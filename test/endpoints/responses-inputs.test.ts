import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedUrlFetcher, type HostLookup } from '../../endpoints/guarded-url-fetcher.js';
import { responseInputLimits, type ResponsesEndpointConfig } from '../../endpoints/response-inputs.js';
import { agentGatewayPerTest, type AgentGateway } from '../helpers/agent-gateway.js';
import { TOKEN } from '../helpers/connect.js';
import { InputServer, PNG_1X1 } from '../helpers/input-server.js';
import { tinyPdf } from '../helpers/tiny-pdf.js';

let server: InputServer;
beforeAll(async () => (server = await InputServer.start()));
afterAll(() => server.close());

const { start } = agentGatewayPerTest({ endpoints: { responses: true } });

/** `internal.test` is a name the resolver places on a private network. */
const lookup: HostLookup = async (host) => (host === 'internal.test' ? [{ address: '10.0.0.7', family: 4 }] : []);

/** A gateway whose `/v1/responses` reads inputs under `config`; the local server counts as private. */
function gatewayWith(config: ResponsesEndpointConfig): Promise<AgentGateway> {
  return start({ responsesInputs: { inputLimits: responseInputLimits(config), fetcher: new GuardedUrlFetcher({ lookup }) } });
}

const local = { dangerouslyAllowPrivateNetwork: true };

async function post(h: AgentGateway, content: unknown[]): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.httpUrl}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: [{ type: 'message', role: 'user', content }] }),
  });
  return { status: res.status, body: await res.json() };
}

const image = (url: string) => ({ type: 'input_image', source: { type: 'url', url } });
const file = (url: string) => ({ type: 'input_file', source: { type: 'url', url } });

describe('/v1/responses image and file inputs', () => {
  it('fetches URL images and PDFs and hands the model an image part and the PDF text', async () => {
    const h = await gatewayWith({ images: local, files: { ...local, pdf: { maxPages: 2 } } });
    const res = await post(h, [{ type: 'input_text', text: 'summarise' }, image(`${server.url}/r/1`), file(`${server.url}/doc.pdf`)]);
    expect(res.status).toBe(200);
    expect(h.model.requests[0]!.body.messages.at(-1).content).toEqual([
      {
        type: 'text',
        text: 'summarise\n<file name="doc.pdf">\nQuarterly report: revenue grew in every region.\n\nPage two lists the regions.\n[first 2 of 3 pages]\n[little text and no embedded images]\n</file>',
      },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1.toString('base64')}` } },
    ]);
  });

  it('reads base64 PDFs and caps the text at files.maxChars', async () => {
    const h = await gatewayWith({ files: { maxChars: 20, pdf: { minTextChars: 0 } } });
    const data = tinyPdf(['Forty-two is the answer to everything.']).toString('base64');
    const res = await post(h, [{ type: 'input_file', source: { type: 'base64', media_type: 'application/pdf', data, filename: 'a.pdf' } }]);
    expect(res.status).toBe(200);
    expect(h.model.requests[0]!.body.messages.at(-1).content).toBe('<file name="a.pdf">\nForty-two is the ans\n[truncated at 20 characters]\n</file>');
    const broken = await post(h, [{ type: 'input_file', source: { type: 'base64', media_type: 'application/pdf', data: 'aGk=' } }]);
    expect(broken).toEqual({ status: 400, body: { error: { message: expect.stringContaining('file is not a readable PDF'), type: 'invalid_request_error' } } });
  });

  it('sends the pictures of a scanned PDF as PNG images, within files.pdf.maxPixels', async () => {
    const red = { width: 2, height: 2, rgb: Buffer.from([255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]) };
    const big = { width: 4, height: 4, rgb: Buffer.alloc(48, 200) };
    const data = tinyPdf([{ image: red }, { image: big }]).toString('base64');
    const h = await gatewayWith({ files: { pdf: { maxPixels: 10 } } });
    const res = await post(h, [{ type: 'input_file', source: { type: 'base64', media_type: 'application/pdf', data, filename: 'scan.pdf' } }]);
    expect(res.status).toBe(200);
    const [text, picture, ...rest] = h.model.requests[0]!.body.messages.at(-1).content;
    expect(text).toEqual({ type: 'text', text: '<file name="scan.pdf">\n\n[little text: 1 embedded image(s) of these pages are attached]\n</file>' });
    expect(rest).toEqual([]);
    const png = Buffer.from(picture.image_url.url.replace('data:image/png;base64,', ''), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([2, 2]);
  });

  it('answers 400 with the limit that was hit', async () => {
    const h = await gatewayWith({ images: { ...local, maxBytes: 64 * 1024, timeoutMs: 200 }, files: { ...local, maxRedirects: 1 }, maxUrlParts: 2 });
    const cases: Array<[unknown[], string]> = [
      [[image(`${server.url}/big`)], `image URL is larger than 65536 bytes: ${server.url}/big`],
      [[image(`${server.url}/page.html`)], `image URL has content type text/html, not one of image/jpeg, image/png, image/gif, image/webp: ${server.url}/page.html`],
      [[image(`${server.url}/slow`)], `image URL timed out after 200 ms: ${server.url}/slow`],
      [[file(`${server.url}/r/2`)], `file URL redirected more than 1 times: ${server.url}/r/2`],
      [[image(`${server.url}/img.png`), image(`${server.url}/img.png`), file(`${server.url}/doc.pdf`)], 'too many URL inputs: more than 2 in one request'],
    ];
    for (const [content, message] of cases) {
      expect(await post(h, content)).toEqual({ status: 400, body: { error: { message, type: 'invalid_request_error' } } });
    }
    expect(h.model.requests).toHaveLength(0);
  });

  it('refuses private addresses by default, after redirects too, and URLs when allowUrl is off', async () => {
    const h = await gatewayWith({ files: { allowUrl: false } });
    expect((await post(h, [image(`${server.url}/img.png`)])).body.error.message).toBe('image URL host 127.0.0.1 resolves to 127.0.0.1, a private, loopback or link-local address');
    expect((await post(h, [image('http://internal.test/img.png')])).body.error.message).toBe('image URL host internal.test resolves to 10.0.0.7, a private, loopback or link-local address');
    expect((await post(h, [file(`${server.url}/doc.pdf`)])).body.error.message).toBe('file URLs are turned off (gateway.http.endpoints.responses.files.allowUrl); send the content as base64');

    // public.test resolves to a public address and is served by the local server; its redirect to internal.test is checked again.
    const viaLocal = new GuardedUrlFetcher({
      lookup: async (host) => (host === 'public.test' ? [{ address: '93.184.216.34', family: 4 }] : lookup(host)),
      fetch: (url, init) => fetch(url.replace('http://public.test', server.url), init),
    });
    const routed = await start({ responsesInputs: { inputLimits: responseInputLimits({}), fetcher: viaLocal } });
    expect((await post(routed, [image('http://public.test/to-internal')])).body.error.message).toBe('image URL host internal.test resolves to 10.0.0.7, a private, loopback or link-local address');
    expect((await post(routed, [image('http://public.test/img.png')])).status).toBe(200);
  });
});
