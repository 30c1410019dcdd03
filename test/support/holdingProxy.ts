/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * A pass-through HTTP proxy in front of the fake API that counts the requests in flight per path and
 * can hold a request back until a condition holds. Tests use it to measure concurrency by counting
 * (how many requests were open at once) instead of by timing when they arrived.
 */
import http from 'http';
import type { AddressInfo } from 'net';

export interface HoldingProxy {
	/** Base URL to give the node instead of the fake's. */
	url: string;
	/** Requests to `path` open at this moment (arrived, not yet answered). */
	inFlight(path: string): number;
	/** The most requests to `path` that were open at the same time. */
	peak(path: string): number;
	/** How many requests to `path` have arrived. */
	arrived(path: string): number;
	close(): Promise<void>;
}

export interface HoldingProxyOptions {
	/**
	 * Called for each arriving request (after it is counted) and again whenever another request arrives
	 * or is answered; the request is forwarded once it returns true. Default: forward at once.
	 */
	releaseWhen?: (path: string) => boolean;
	/** Forward a held request anyway after this long, so a node that never fills the hold still finishes. */
	holdAtMostMs?: number;
}

export async function startHoldingProxy(target: string, options: HoldingProxyOptions = {}): Promise<HoldingProxy> {
	const open = new Map<string, number>();
	const peaks = new Map<string, number>();
	const arrivals = new Map<string, number>();
	const held: Array<{ path: string; forward: () => void }> = [];
	const releaseWhen = options.releaseWhen ?? (() => true);
	const holdAtMostMs = options.holdAtMostMs ?? 10_000;
	const add = (map: Map<string, number>, path: string, by: number) => map.set(path, (map.get(path) ?? 0) + by);

	const releaseReady = () => {
		for (const entry of [...held]) {
			if (releaseWhen(entry.path)) {
				held.splice(held.indexOf(entry), 1);
				entry.forward();
			}
		}
	};

	const server = http.createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://proxy.invalid').pathname;
		add(open, path, 1);
		add(arrivals, path, 1);
		peaks.set(path, Math.max(peaks.get(path) ?? 0, open.get(path)!));
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			let forwarded = false;
			const forward = () => {
				if (forwarded) return;
				forwarded = true;
				clearTimeout(fallback);
				const upstream = http.request(
					new URL(req.url ?? '/', target),
					{ method: req.method, headers: { ...req.headers, host: new URL(target).host } },
					(answer) => {
						res.writeHead(answer.statusCode ?? 502, answer.headers);
						answer.pipe(res);
					},
				);
				upstream.on('error', () => res.destroy());
				upstream.end(Buffer.concat(chunks));
			};
			const fallback = setTimeout(forward, holdAtMostMs);
			held.push({ path, forward });
			releaseReady();
		});
		res.on('close', () => {
			add(open, path, -1);
			releaseReady();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url,
		inFlight: (path) => open.get(path) ?? 0,
		peak: (path) => peaks.get(path) ?? 0,
		arrived: (path) => arrivals.get(path) ?? 0,
		close: async () =>
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
