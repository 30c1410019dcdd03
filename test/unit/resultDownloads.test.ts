/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Issue 12, cases 2 and 3: result downloads fetch only public http(s) addresses, re-check every
 * redirect hop, stop at a size cap and at one deadline per file, and keep only image bytes.
 * Downloads run through the same request function n8n-core's helpers.httpRequest uses.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import { OutboundHttp } from '@n8n/backend-network';
import { Container } from '@n8n/di';
import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { downloadImageAsBinary, RESULT_DOWNLOAD_LIMITS } from '../../nodes/shared/images';
import { refusedDownloadReason } from '../../nodes/shared/publicAddress';
import { resultImagePng } from '../fake-api/pngs';

interface TestServer {
	url: string;
	host: string;
	requests: string[];
	closedResponses: number;
	close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, server: TestServer) => void): Promise<TestServer> {
	const server = http.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	const state: TestServer = {
		url: `http://127.0.0.1:${port}`,
		host: `127.0.0.1:${port}`,
		requests: [],
		closedResponses: 0,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
	server.on('request', (req, res) => {
		state.requests.push(req.url ?? '');
		res.on('close', () => state.closedResponses++);
		handler(req, res, state);
	});
	return state;
}

/** Just enough of an n8n context for downloads: the credential's API base URL and n8n's helpers. */
function contextWithApiBase(apiBaseUrl: string) {
	const binaries: IDataObject[] = [];
	const ctx = {
		getNode: () => ({ id: 'n', name: 'Midjourney Edits', type: 'midjourneyEdits', typeVersion: 1, position: [0, 0], parameters: {} }),
		getCredentials: async () => ({ apiToken: 't', baseUrl: apiBaseUrl, platformBaseUrl: apiBaseUrl }),
		helpers: {
			// What n8n-core's helpers.httpRequest calls.
			httpRequest: async (options: IHttpRequestOptions) => await Container.get(OutboundHttp).requests().request(options),
			prepareBinaryData: async (data: Buffer, fileName: string, mimeType: string) => {
				const binary = { data: data.toString('base64'), fileName, mimeType, size: data.length };
				binaries.push(binary);
				return binary;
			},
		},
	};
	return { ctx: ctx as never, binaries };
}

const PNG = () => resultImagePng('task', 'grid');
const defaults = { ...RESULT_DOWNLOAD_LIMITS };
afterEach(() => Object.assign(RESULT_DOWNLOAD_LIMITS, defaults));

describe('refusedDownloadReason', () => {
	it.each([
		'http://127.0.0.1/x.png',
		'http://localhost/x.png',
		'http://10.0.0.5/x.png',
		'http://172.16.3.4/x.png',
		'http://192.168.1.1/x.png',
		'http://169.254.169.254/latest/meta-data/',
		'http://100.64.0.1/x.png',
		'http://0.0.0.0/x.png',
		'http://2130706433/x.png',
		'http://0x7f.1/x.png',
		'http://[::1]/x.png',
		'http://[::]/x.png',
		'http://[::ffff:127.0.0.1]/x.png',
		'http://[::ffff:a9fe:a9fe]/x.png',
		'http://[fd00::1]/x.png',
		'http://[fe80::1]/x.png',
		'http://metadata.google.internal/x.png',
		'http://intranet/x.png',
		'file:///etc/passwd',
		'ftp://cdn.example.com/x.png',
		'https://user:pw@cdn.example.com/x.png',
	])('refuses %s', (url) => expect(refusedDownloadReason(url)).toEqual(expect.any(String)));

	it.each(['https://cdn.discordapp.com/a/b.png', 'http://8.8.8.8/x.png', 'https://[2606:4700::1111]/x.png'])(
		'allows %s',
		(url) => expect(refusedDownloadReason(url)).toBeUndefined(),
	);

	it('exempts only the API base URL\'s own host and port', () => {
		expect(refusedDownloadReason('http://127.0.0.1:4000/results/x.png', '127.0.0.1:4000')).toBeUndefined();
		expect(refusedDownloadReason('http://127.0.0.1:4001/results/x.png', '127.0.0.1:4000')).toEqual(expect.any(String));
	});
});

describe('downloadImageAsBinary', () => {
	it('never requests a private address that is not the API host', async () => {
		const inside = await serve((_req, res) => res.end(PNG()));
		try {
			const { ctx } = contextWithApiBase('https://api.example.test');
			await expect(downloadImageAsBinary(ctx, `${inside.url}/secret.png`, 'task', 0)).rejects.toThrow(/refused.*non-public/);
			expect(inside.requests).toHaveLength(0);
		} finally {
			await inside.close();
		}
	});

	it('re-checks a redirect: the API host redirecting to another private host is not followed', async () => {
		const inside = await serve((_req, res) => res.end(PNG()));
		const api = await serve((_req, res) => res.writeHead(302, { location: `${inside.url}/secret.png` }).end());
		try {
			const { ctx } = contextWithApiBase(api.url);
			await expect(downloadImageAsBinary(ctx, `${api.url}/results/x.png`, 'task', 0)).rejects.toThrow(/refused/);
			expect(api.requests).toHaveLength(1);
			expect(inside.requests).toHaveLength(0);
		} finally {
			await Promise.all([inside.close(), api.close()]);
		}
	});

	it('stops reading at the size cap (no Content-Length), without taking the whole body', async () => {
		RESULT_DOWNLOAD_LIMITS.maxBytes = 1024 * 1024;
		let written = 0;
		const total = 64 * 1024 * 1024;
		const api = await serve((_req, res) => {
			res.writeHead(200, { 'content-type': 'image/png' });
			const chunk = Buffer.alloc(64 * 1024);
			const pump = () => {
				while (written < total && !res.destroyed) {
					written += chunk.length;
					if (!res.write(chunk)) return void res.once('drain', pump);
				}
				res.end();
			};
			pump();
		});
		try {
			const { ctx } = contextWithApiBase(api.url);
			await expect(downloadImageAsBinary(ctx, `${api.url}/big.png`, 'task', 0)).rejects.toThrow(/larger than 1 MB/);
			await waitUntil(() => api.closedResponses === 1);
			expect(written).toBeLessThan(total);
		} finally {
			await api.close();
		}
	});

	it('refuses a declared Content-Length over the cap before reading', async () => {
		RESULT_DOWNLOAD_LIMITS.maxBytes = 1024;
		const api = await serve((_req, res) => res.writeHead(200, { 'content-length': String(5000) }).end(Buffer.alloc(5000)));
		try {
			const { ctx } = contextWithApiBase(api.url);
			await expect(downloadImageAsBinary(ctx, `${api.url}/big.png`, 'task', 0)).rejects.toThrow(/larger than/);
			expect(api.requests).toHaveLength(1);
		} finally {
			await api.close();
		}
	});

	it('cuts off a server that drips bytes, at the one deadline for the whole file', async () => {
		RESULT_DOWNLOAD_LIMITS.deadlineMs = 1500;
		let dripped = 0;
		const api = await serve((_req, res) => {
			res.writeHead(200, { 'content-type': 'image/png' });
			res.write(PNG().subarray(0, 8));
			const drip = setInterval(() => {
				if (res.destroyed) return clearInterval(drip);
				dripped++;
				res.write(Buffer.from([0]));
			}, 100);
			res.on('close', () => clearInterval(drip));
		});
		try {
			const { ctx } = contextWithApiBase(api.url);
			await expect(downloadImageAsBinary(ctx, `${api.url}/slow.png`, 'task', 0)).rejects.toThrow(/did not finish within/);
			// The server saw the connection closed by us (it never ends the response itself).
			await waitUntil(() => api.closedResponses >= 1);
			expect(dripped).toBeGreaterThan(0);
		} finally {
			await api.close();
		}
	});

	it('refuses bytes that are not an image, whatever the content type says', async () => {
		const api = await serve((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('<html>not an image</html>'));
		try {
			const { ctx, binaries } = contextWithApiBase(api.url);
			await expect(downloadImageAsBinary(ctx, `${api.url}/x.png`, 'task', 0)).rejects.toThrow(/did not return an image/);
			expect(binaries).toHaveLength(0);
		} finally {
			await api.close();
		}
	});

	it('stores an image under a safe file name with the type its bytes show', async () => {
		const api = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(PNG()));
		try {
			const { ctx } = contextWithApiBase(api.url);
			const binary = await downloadImageAsBinary(ctx, `${api.url}/x`, '../../evil', 0);
			expect(binary).toMatchObject({ fileName: '______evil.png', mimeType: 'image/png' });
		} finally {
			await api.close();
		}
	});
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
	for (const deadline = Date.now() + timeoutMs; !condition(); ) {
		if (Date.now() > deadline) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}
