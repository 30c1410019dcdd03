/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import http from 'http';
import type { AddressInfo } from 'net';

/** A server on 127.0.0.1 that records every request it gets (method, path, Authorization header). */
export interface RecordingServer {
	url: string;
	requests: Array<{ method: string; path: string; authorization?: string }>;
	close(): Promise<void>;
}

/**
 * Starts a RecordingServer whose answers come from `handler` (called once the request body has been
 * read). Used where a test needs another origin: a redirect target, an internal address, an attacker.
 */
export async function startRecordingServer(
	handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<RecordingServer> {
	const requests: RecordingServer['requests'] = [];
	const server = http.createServer((req, res) => {
		requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
		req.resume();
		req.on('end', () => handler(req, res));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		requests,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
