/**
 * The only module that speaks HTTP. Everything goes through n8n's request helpers, so n8n applies
 * the credential, proxies and logging; we ask for the full response and classify it ourselves,
 * which lets us honour Retry-After and decide per request whether a retry is safe.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { randomBytes } from 'crypto';

import {
	CREDENTIAL_TYPE,
	DEFAULT_API_BASE_URL,
	DEFAULT_PLATFORM_BASE_URL,
	FILES_PATH,
} from './constants';
import type { ApiFailure, ApiService, RequestStage } from './errors';
import { cannotHaveBeenAccepted, failureToNodeApiError, isTransient, itemSuffix } from './errors';
import { isObject } from './json';
import type { RequestGate } from './pacing';
import { backoffMs, pauseUnlessCancelled, throwIfCancelled } from './pacing';

export type AceContext = IExecuteFunctions | IWebhookFunctions;

export interface AceRequestOptions {
	stage: Extract<RequestStage, 'submit' | 'read' | 'upload'>;
	itemIndex?: number;
	/** Shared by a batch so one 429 slows every request down. */
	gate?: RequestGate;
	signal?: AbortSignal;
	maxAttempts?: number;
	/** Prefix for error messages, naming the step (e.g. "Uploading the input image failed"). */
	errorPrefix?: string;
	/** Which Midjourney API the request goes to, for what its errors tell the user (default Edits). */
	service?: ApiService;
}

const REQUEST_TIMEOUT_MS = 60_000;
/** A Retry-After longer than this is not waited out inside a running execution. */
const MAX_RETRY_AFTER_MS = 120_000;
/** Longer Retry-After values are read as this (a day), so no header parses to Infinity. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

const DEFAULT_MAX_ATTEMPTS: Record<AceRequestOptions['stage'], number> = {
	// Only retried where the API cannot have accepted the submission (429, connection refused).
	submit: 6,
	read: 4,
	upload: 3,
};

export async function getBaseUrls(
	ctx: AceContext,
): Promise<{ apiBaseUrl: string; platformBaseUrl: string }> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	return {
		apiBaseUrl: checkedBaseUrl(ctx, credentials.baseUrl, DEFAULT_API_BASE_URL, 'API Base URL'),
		platformBaseUrl: checkedBaseUrl(
			ctx,
			credentials.platformBaseUrl,
			DEFAULT_PLATFORM_BASE_URL,
			'Platform Base URL',
		),
	};
}

function checkedBaseUrl(ctx: AceContext, value: unknown, fallback: string, field: string): string {
	const raw = typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
	if (!/^https?:\/\/[^\s/]+/i.test(raw)) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The '${field}' in the Ace Data Cloud credential is not a valid http(s) URL`,
			{ description: `Set it to ${fallback} (the default) or to your proxy's address.` },
		);
	}
	return raw.replace(/\/+$/, '');
}

/** POSTs JSON to the Ace Data Cloud API; returns the parsed body or throws a NodeApiError. */
export async function aceApiRequest(
	ctx: AceContext,
	path: string,
	body: IDataObject,
	options: AceRequestOptions,
): Promise<IDataObject> {
	const { apiBaseUrl } = await getBaseUrls(ctx);
	return await sendWithRetries(ctx, options, {
		method: 'POST',
		url: `${apiBaseUrl}${path}`,
		body,
		json: true,
		headers: { accept: 'application/json', 'content-type': 'application/json' },
	});
}

/**
 * The platform's upload takes a platform token, not the API token (contract, files section). Without
 * one an upload can only fail, so we say what to do before sending anything. The token itself is
 * applied by the credential's `authenticate`, which picks it for upload requests only.
 */
export async function assertPlatformTokenForUploads(ctx: AceContext, itemIndex?: number): Promise<void> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const token = typeof credentials.platformToken === 'string' ? credentials.platformToken.trim() : '';
	if (token !== '') return;
	throw new NodeOperationError(
		ctx.getNode(),
		`'Platform Token' in the Ace Data Cloud credential is empty: it is needed to upload the input image${itemSuffix(itemIndex)}`,
		{
			itemIndex,
			description:
				"Images from a previous node (binary data) are uploaded to the Ace Data Cloud platform first, and its upload takes a platform token (it starts with 'platform-'), not the API token. Copy it from the Ace Data Cloud console (https://platform.acedata.cloud) into the credential's 'Platform Token' field, or set 'Image Source' to 'Image URL' and give a public link. Nothing was uploaded or submitted.",
		},
	);
}

/**
 * Uploads a file to the platform's files endpoint and returns its public URL. The multipart body
 * is built by hand because community nodes may not ship a form-data dependency.
 */
export async function uploadFileToPlatform(
	ctx: AceContext,
	file: { data: Buffer; fileName: string; mimeType: string },
	options: Omit<AceRequestOptions, 'stage'>,
): Promise<string> {
	await assertPlatformTokenForUploads(ctx, options.itemIndex);
	const { platformBaseUrl } = await getBaseUrls(ctx);
	const boundary = `----n8nMidjourneyEdits${randomBytes(12).toString('hex')}`;
	const safeName = file.fileName.replace(/["\r\n\\]/g, '_');
	const head = Buffer.from(
		`--${boundary}\r\n` +
			`Content-Disposition: form-data; name="file"; filename="${safeName}"\r\n` +
			`Content-Type: ${file.mimeType}\r\n\r\n`,
	);
	const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
	const body = await sendWithRetries(
		ctx,
		{ ...options, stage: 'upload' },
		{
			method: 'POST',
			url: `${platformBaseUrl}${FILES_PATH}`,
			body: Buffer.concat([head, file.data, tail]),
			json: false,
			headers: { accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}` },
		},
	);
	// Clients disagree on the key (`file_url` in the docs, `url` in some SDKs): accept both.
	const url = body.file_url ?? body.url;
	if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
		throw failureToNodeApiError(
			ctx.getNode(),
			{ status: 200, code: 'malformed_response', message: 'the answer has no file_url' },
			'upload',
			{ itemIndex: options.itemIndex, prefix: options.errorPrefix },
		);
	}
	return url;
}

async function sendWithRetries(
	ctx: AceContext,
	options: AceRequestOptions,
	request: IHttpRequestOptions,
): Promise<IDataObject> {
	const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS[options.stage];
	for (let attempt = 1; ; attempt++) {
		await options.gate?.waitForTurn();
		const outcome = await sendOnce(ctx, request, options.signal);
		if (outcome.ok) return outcome.body;

		const failure = outcome.failure;
		const mayRetry =
			options.stage === 'submit' ? cannotHaveBeenAccepted(failure) : isTransient(failure);
		const retryAfterMs =
			failure.retryAfterSeconds !== undefined ? failure.retryAfterSeconds * 1000 : undefined;
		// A host that refuses connections rarely comes back within seconds: give up sooner.
		const attemptsAllowed = failure.status === undefined ? Math.min(maxAttempts, 3) : maxAttempts;
		if (!mayRetry || attempt >= attemptsAllowed || (retryAfterMs ?? 0) > MAX_RETRY_AFTER_MS) {
			throw failureToNodeApiError(ctx.getNode(), failure, options.stage, {
				itemIndex: options.itemIndex,
				attempts: attempt,
				prefix: options.errorPrefix,
				service: options.service,
			});
		}
		const waitMs = failure.status === 429 ? waitAfterRateLimitMs(failure, attempt) : (retryAfterMs ?? backoffMs(attempt));
		if (failure.status === 429 && options.gate) {
			// Without Retry-After the batch backs off on its own schedule (pacing.ts), not this item's.
			options.gate.slowDown(waitMs, failure.retryAfterSeconds === undefined);
		} else {
			await pauseUnlessCancelled(waitMs, options.signal);
		}
	}
}

/**
 * How long to hold back after a 429. No vendor source says a 429 carries Retry-After (the vendor's
 * SDK backs off on its own): we honour it when present, and otherwise back off exponentially from
 * `baseMs` (1 s, 2 s, 4 s ... with jitter, capped at a minute) for each 429 in a row. Callers bound
 * the result by the user's timeout.
 */
export function waitAfterRateLimitMs(failure: ApiFailure, consecutive429s: number, baseMs = 1000): number {
	if (failure.retryAfterSeconds !== undefined) return failure.retryAfterSeconds * 1000;
	return backoffMs(consecutive429s, baseMs, 60_000);
}

type SendOutcome = { ok: true; body: IDataObject } | { ok: false; failure: ApiFailure };

async function sendOnce(
	ctx: AceContext,
	request: IHttpRequestOptions,
	signal?: AbortSignal,
): Promise<SendOutcome> {
	let response: IN8nHttpFullResponse;
	try {
		response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, {
			...request,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: REQUEST_TIMEOUT_MS,
			abortSignal: signal,
			// n8n follows redirects by default and was seen sending the Authorization header along to
			// another origin: the token goes to the configured API and nowhere else.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		})) as IN8nHttpFullResponse;
	} catch (error) {
		throwIfCancelled(signal);
		// Only the code and message of a network error are kept: the raw error carries the request
		// configuration, headers included, which must never reach a log or the UI.
		return { ok: false, failure: networkFailure(error) };
	}
	const body = parseBody(response.body);
	const status = response.statusCode;
	if (status >= 300 && status < 400) {
		return {
			ok: false,
			failure: {
				status,
				code: 'redirect_not_followed',
				message: `the service answered with a redirect (HTTP ${status}), which is not followed so the token is sent nowhere else; set the base URL in the credential to the address that answers directly`,
			},
		};
	}
	if (status >= 200 && status < 300) {
		if (body === undefined) {
			return {
				ok: false,
				failure: { status, code: 'malformed_response', message: 'the answer is not valid JSON' },
			};
		}
		if (body.success === false && isObject(body.error)) {
			return { ok: false, failure: apiFailure(status, body, response.headers) };
		}
		return { ok: true, body };
	}
	return { ok: false, failure: apiFailure(status, body ?? {}, response.headers) };
}


function parseBody(raw: unknown): IDataObject | undefined {
	let value = raw;
	if (Buffer.isBuffer(value)) value = value.toString('utf8');
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			return undefined;
		}
	}
	// A JSON `null` is how some of the vendor's clients see an unknown task id: the same as `{}`.
	if (value === null) return {};
	return isObject(value) ? value : undefined;
}

function apiFailure(status: number, body: IDataObject, headers: IDataObject): ApiFailure {
	const error = isObject(body.error) ? body.error : {};
	return {
		status,
		code: typeof error.code === 'string' ? error.code : undefined,
		message: typeof error.message === 'string' ? error.message : undefined,
		traceId: typeof body.trace_id === 'string' ? body.trace_id : undefined,
		retryAfterSeconds: parseRetryAfter(headers?.['retry-after']),
	};
}

/** Retry-After is either delay seconds or an HTTP date. */
export function parseRetryAfter(value: unknown): number | undefined {
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const text = String(value).trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
	const at = Date.parse(text);
	if (Number.isNaN(at)) return undefined;
	return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, (at - Date.now()) / 1000));
}

function networkFailure(error: unknown): ApiFailure {
	// n8n wraps network errors in a NodeApiError whose cause is the underlying (axios/Node) error.
	const layers: IDataObject[] = [];
	for (let current: unknown = error; isObject(current) && layers.length < 4; current = current.cause) {
		layers.push(current);
	}
	const codeOf = (layer: IDataObject) =>
		[layer.code, layer.httpCode].find(
			(value): value is string => typeof value === 'string' && /^E[A-Z_]+$/.test(value),
		);
	const code = layers.map(codeOf).find(Boolean) ?? 'NETWORK_ERROR';
	const innermost = layers[layers.length - 1] ?? {};
	const message =
		typeof innermost.message === 'string'
			? innermost.message
			: error instanceof Error
				? error.message
				: String(error);
	return { code, message: message.slice(0, 300) };
}
