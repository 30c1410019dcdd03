/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { RecordedResponse, WebhookRequestInput } from './types';

/** Handles one request to `/webhook-waiting/<executionId>[/<suffix>]`; `url` includes the query string. */
export type WaitingWebhookHandler = (
	executionId: string,
	suffix: string | undefined,
	request: WebhookRequestInput & { url: string },
) => Promise<RecordedResponse>;

let serverStart: Promise<{ server: Server; baseUrl: string }> | undefined;

function parseBody(rawBody: Buffer, contentType: string | undefined): unknown {
	if (rawBody.length === 0) return {};
	const text = rawBody.toString('utf8');
	if (contentType?.includes('application/json')) return JSON.parse(text) as unknown;
	if (contentType?.includes('application/x-www-form-urlencoded')) {
		return Object.fromEntries(new URLSearchParams(text).entries());
	}
	return text;
}

function writeRecorded(response: ServerResponse, recorded: RecordedResponse): void {
	const isObjectBody =
		recorded.body !== undefined && typeof recorded.body !== 'string' && !Buffer.isBuffer(recorded.body);
	const headers = { ...recorded.headers };
	if (isObjectBody) headers['content-type'] ??= 'application/json; charset=utf-8';
	response.writeHead(recorded.statusCode, headers);
	if (recorded.body === undefined) response.end();
	else if (isObjectBody) response.end(JSON.stringify(recorded.body));
	else response.end(recorded.body as string | Buffer);
}

async function handle(
	request: IncomingMessage,
	response: ServerResponse,
	onWaitingWebhook: WaitingWebhookHandler,
): Promise<void> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	const rawBody = Buffer.concat(chunks);
	const url = request.url ?? '/';
	const match = /^\/webhook-waiting\/([^/?]+)(?:\/([^?]*))?/.exec(url);
	if (!match) {
		writeRecorded(response, {
			statusCode: 404,
			headers: {},
			body: { message: 'The harness only serves /webhook-waiting/' },
			ended: true,
		});
		return;
	}
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(request.headers)) {
		if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
	}
	let body: unknown;
	try {
		body = parseBody(rawBody, headers['content-type']);
	} catch {
		writeRecorded(response, { statusCode: 400, headers: {}, body: { message: 'Invalid body' }, ended: true });
		return;
	}
	const recorded = await onWaitingWebhook(match[1], match[2] || undefined, {
		method: request.method ?? 'GET',
		url,
		headers,
		body,
		rawBody,
	});
	writeRecorded(response, recorded);
}

/**
 * A real HTTP listener on 127.0.0.1 for the executions' resume URLs, so a fake API can call a
 * waiting execution back over HTTP exactly as it would call n8n. Started once per test process;
 * it does not keep the process alive.
 */
export async function ensureHarnessServer(onWaitingWebhook: WaitingWebhookHandler): Promise<string> {
	serverStart ??= new Promise((resolve, reject) => {
		const server = createServer((request, response) => {
			handle(request, response, onWaitingWebhook).catch((error: unknown) => {
				const message = error instanceof Error ? error.message : String(error);
				if (!response.headersSent) writeRecorded(response, { statusCode: 500, headers: {}, body: { message }, ended: true });
				else response.end();
			});
		});
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.unref();
			const { port } = server.address() as AddressInfo;
			resolve({ server, baseUrl: `http://127.0.0.1:${port}` });
		});
	});
	return (await serverStart).baseUrl;
}

/** Closes the listener (for an afterAll); the next run starts a new one. */
export async function closeHarnessServer(): Promise<void> {
	if (!serverStart) return;
	const { server } = await serverStart;
	serverStart = undefined;
	await new Promise<void>((resolve) => server.close(() => resolve()));
}
