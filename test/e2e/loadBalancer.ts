/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * A minimal HTTP load balancer on 127.0.0.1 standing in for the one in front of a queue-mode n8n:
 * webhook traffic (production, waiting and form webhooks) goes to the processes chosen to serve
 * webhooks, request by request (not connection by connection: callers keep connections alive);
 * everything else (editor, REST, public API) goes to the main instance. Each routed request is
 * logged, so a test can prove which process handled what.
 *
 * Policies for webhook traffic:
 * - 'round-robin': each request to the next process (what most balancers do by default);
 * - 'hash-uri': by a hash of the full request URI, like nginx `hash $request_uri consistent`: repeats
 *   of one request (same path and query) always reach the same process, different ones spread.
 */
import { createHash } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface Upstream {
	/** Name used in the log, e.g. 'main' or 'webhook'. */
	name: string;
	/** Base URL, e.g. http://127.0.0.1:5678 */
	url: string;
}

export type WebhookRoutingPolicy = 'round-robin' | 'hash-uri';

export interface RoutedRequest {
	method: string;
	/** Path without the query string (signatures stay out of logs). */
	path: string;
	upstream: string;
	/** The upstream's status, or 502 when it could not be reached. */
	status?: number;
	at: number;
	/** Milliseconds until the upstream's answer began (its handling time, seen from outside). */
	durationMs?: number;
}

const WEBHOOK_PATH = /^\/(webhook|webhook-waiting|form|form-waiting)(\/|$)/;

export class LoadBalancer {
	readonly routed: RoutedRequest[] = [];
	private next = 0;
	private webhookUpstreams: Upstream[];
	private policy: WebhookRoutingPolicy = 'round-robin';

	private constructor(
		private readonly server: http.Server,
		readonly url: string,
		private readonly main: Upstream,
		webhookUpstreams: Upstream[],
	) {
		this.webhookUpstreams = webhookUpstreams;
	}

	static async start(main: Upstream, webhookUpstreams: Upstream[]): Promise<LoadBalancer> {
		if (webhookUpstreams.length === 0) throw new Error('at least one upstream must serve webhooks');
		const server = http.createServer((request, response) => balancer.forward(request, response));
		// Callers reuse connections; the balancer must not close them between requests.
		server.keepAliveTimeout = 30_000;
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as AddressInfo;
		const balancer = new LoadBalancer(server, `http://127.0.0.1:${port}`, main, webhookUpstreams);
		return balancer;
	}

	/** Changes where webhook traffic goes from now on. */
	routeWebhooks(upstreams: Upstream[], policy: WebhookRoutingPolicy): void {
		if (upstreams.length === 0) throw new Error('at least one upstream must serve webhooks');
		this.webhookUpstreams = upstreams;
		this.policy = policy;
		this.next = 0;
	}

	/** The routed requests whose path starts with the given prefix. */
	routedTo(pathPrefix: string): RoutedRequest[] {
		return this.routed.filter((entry) => entry.path.startsWith(pathPrefix));
	}

	private pick(uri: string): Upstream {
		const pathname = uri.split('?')[0];
		if (!WEBHOOK_PATH.test(pathname)) return this.main;
		const upstreams = this.webhookUpstreams;
		if (this.policy === 'hash-uri') {
			return upstreams[createHash('sha1').update(uri).digest().readUInt32BE(0) % upstreams.length];
		}
		return upstreams[this.next++ % upstreams.length];
	}

	private forward(request: http.IncomingMessage, response: http.ServerResponse): void {
		const uri = request.url ?? '/';
		const upstream = this.pick(uri);
		const entry: RoutedRequest = { method: request.method ?? 'GET', path: uri.split('?')[0], upstream: upstream.name, at: Date.now() };
		this.routed.push(entry);
		const outgoing = http.request(
			new URL(uri, upstream.url),
			{
				method: request.method,
				// Host stays the balancer's, as behind a real proxy; n8n builds URLs from WEBHOOK_URL anyway.
				headers: { ...request.headers, 'x-forwarded-for': request.socket.remoteAddress ?? '127.0.0.1' },
			},
			(upstreamResponse) => {
				entry.status = upstreamResponse.statusCode;
				entry.durationMs = Date.now() - entry.at;
				response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
				upstreamResponse.pipe(response);
			},
		);
		outgoing.on('error', (error) => {
			entry.status = 502;
			if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
			response.end(JSON.stringify({ error: `load balancer: ${upstream.name} unreachable: ${error.message}` }));
		});
		request.pipe(outgoing);
	}

	async close(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
