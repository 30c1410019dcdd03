/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import type { IncomingHttpHeaders } from 'node:http';

import type { RecordedResponse, WebhookRequestInput } from './types';

/**
 * The parts of an express Request that n8n-core's WebhookContext and webhook nodes read, as n8n's
 * webhook server leaves them after body parsing (`body`, `rawBody`, lower-cased `headers`).
 */
export interface FakeRequest {
	method: string;
	url: string;
	path: string;
	headers: IncomingHttpHeaders;
	query: Record<string, string>;
	params: Record<string, string>;
	body: unknown;
	rawBody: Buffer;
	contentType?: string;
	get(name: string): string | undefined;
	header(name: string): string | undefined;
}

export function createFakeRequest(input: WebhookRequestInput, url: string): FakeRequest {
	const parsedUrl = new URL(url, 'http://127.0.0.1');
	const query: Record<string, string> = Object.fromEntries(parsedUrl.searchParams.entries());
	Object.assign(query, input.query);
	const headers: IncomingHttpHeaders = {};
	for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
	const body = input.body ?? {};
	const rawBody =
		input.rawBody ?? Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
	if (input.body !== undefined && typeof input.body !== 'string') {
		headers['content-type'] ??= 'application/json';
	}
	const search = new URLSearchParams(query).toString();
	const getHeader = (name: string) => {
		const value = headers[name.toLowerCase()];
		return Array.isArray(value) ? value.join(', ') : value;
	};
	return {
		method: (input.method ?? 'POST').toUpperCase(),
		url: `${parsedUrl.pathname}${search ? `?${search}` : ''}`,
		path: parsedUrl.pathname,
		headers,
		query,
		params: {},
		body,
		rawBody,
		contentType: headers['content-type']?.split(';')[0].trim(),
		get: getHeader,
		header: getHeader,
	};
}

/** An express-like Response that records what a node writes, so tests can assert status and body. */
export class FakeResponse {
	statusCode = 200;

	headersSent = false;

	writableEnded = false;

	private readonly headers: Record<string, string> = {};

	private body: unknown;

	status(code: number): this {
		this.statusCode = code;
		return this;
	}

	sendStatus(code: number): this {
		this.statusCode = code;
		return this.end();
	}

	setHeader(name: string, value: string | number | readonly string[]): this {
		this.headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
		return this;
	}

	set(nameOrHeaders: string | Record<string, string>, value?: string): this {
		if (typeof nameOrHeaders === 'string') return this.setHeader(nameOrHeaders, value ?? '');
		for (const [name, headerValue] of Object.entries(nameOrHeaders)) this.setHeader(name, headerValue);
		return this;
	}

	header(nameOrHeaders: string | Record<string, string>, value?: string): this {
		return this.set(nameOrHeaders, value);
	}

	getHeader(name: string): string | undefined {
		return this.headers[name.toLowerCase()];
	}

	removeHeader(name: string): void {
		delete this.headers[name.toLowerCase()];
	}

	type(contentType: string): this {
		return this.setHeader('content-type', contentType);
	}

	writeHead(code: number, headers?: Record<string, string>): this {
		this.statusCode = code;
		if (headers) this.set(headers);
		this.headersSent = true;
		return this;
	}

	json(body: unknown): this {
		this.headers['content-type'] ??= 'application/json; charset=utf-8';
		this.body = body;
		return this.end();
	}

	send(body?: unknown): this {
		this.body = body;
		return this.end();
	}

	write(chunk: string | Buffer): boolean {
		const previous = this.body;
		this.body =
			previous === undefined
				? chunk
				: Buffer.concat([Buffer.from(previous as string | Buffer), Buffer.from(chunk)]);
		this.headersSent = true;
		return true;
	}

	end(chunk?: string | Buffer): this {
		if (chunk !== undefined) this.write(chunk);
		this.headersSent = true;
		this.writableEnded = true;
		return this;
	}

	on(): this {
		return this;
	}

	once(): this {
		return this;
	}

	recorded(): RecordedResponse {
		return {
			statusCode: this.statusCode,
			headers: { ...this.headers },
			body: this.body,
			ended: this.writableEnded,
		};
	}
}
