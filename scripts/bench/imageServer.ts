/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Stands in for the CDN that result images come from, with realistic file sizes. The fake API's own
 * result PNGs are 16 px squares (a few hundred bytes): downloading 80 of them says nothing about
 * memory. The fake hands out result links under its `publicBaseUrl`; the benchmark points that at
 * this server, which answers every `/results/<task>/<file>.png` with one incompressible PNG of about
 * the size asked for (a real Midjourney split image is a PNG of roughly 1-2 MB).
 */
import { createServer, type Server } from 'http';

import { encodeRgbPng } from '../../test/fake-api/pngs';

export interface ImageServer {
	url: string;
	/** The PNG served, so the benchmark can report its size. */
	png: Buffer;
	/** GET requests for result images since the last resetCount(). */
	downloads(): number;
	resetCount(): void;
	close(): Promise<void>;
}

/** A PNG of about `targetBytes` whose pixels are pseudo-random, so deflate cannot shrink it. */
export function noisePng(targetBytes: number): Buffer {
	const side = Math.max(1, Math.ceil(Math.sqrt(targetBytes / 3)));
	// xorshift32: fast, deterministic, and incompressible enough for deflate.
	let state = 0x9e3779b9;
	const next = () => {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		return state >>> 0;
	};
	return encodeRgbPng(side, side, () => {
		const value = next();
		return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff];
	});
}

export async function startImageServer(targetBytes: number): Promise<ImageServer> {
	const png = noisePng(targetBytes);
	let downloads = 0;
	const server: Server = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://cdn.invalid').pathname;
		if (req.method === 'GET' && /^\/results\/[^/]+\/[^/]+\.png$/.test(path)) {
			downloads++;
			res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
			res.end(png);
			return;
		}
		res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const port = (server.address() as { port: number }).port;
	return {
		url: `http://127.0.0.1:${port}`,
		png,
		downloads: () => downloads,
		resetCount: () => {
			downloads = 0;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
