import type { IBinaryData, IDataObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { itemSuffix } from './errors';
import { refusedDownloadReason } from './publicAddress';
import { getBaseUrls } from './transport';

export interface ImageKind {
	mimeType: string;
	extension: string;
}

/** Input images larger than this are refused before upload (the API documents no limit; assumption). */
export const MAX_INPUT_IMAGE_BYTES = 20 * 1024 * 1024;

/** Recognises the formats Midjourney accepts by their magic bytes, not by a (often wrong) MIME type. */
export function sniffImageKind(data: Buffer): ImageKind | undefined {
	if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
		return { mimeType: 'image/png', extension: 'png' };
	}
	if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) {
		return { mimeType: 'image/jpeg', extension: 'jpg' };
	}
	if (data.length >= 12 && data.toString('ascii', 0, 4) === 'RIFF' && data.toString('ascii', 8, 12) === 'WEBP') {
		return { mimeType: 'image/webp', extension: 'webp' };
	}
	if (data.length >= 6 && /^GIF8[79]a$/.test(data.toString('ascii', 0, 6))) {
		return { mimeType: 'image/gif', extension: 'gif' };
	}
	return undefined;
}

/** Accepts raw base64 or a data URI (`data:image/png;base64,...`) and returns raw base64. */
export function stripDataUriPrefix(value: string): string {
	const trimmed = value.trim();
	const match = /^data:[^,]*;base64,/i.exec(trimmed);
	return (match ? trimmed.slice(match[0].length) : trimmed).replace(/\s+/g, '');
}

export function decodeBase64Strict(value: string): Buffer | undefined {
	if (value === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
	const decoded = Buffer.from(value, 'base64');
	return decoded.length > 0 ? decoded : undefined;
}

export type DownloadContext = IExecuteFunctions | IWebhookFunctions;

const QUARTER_POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

export function quarterPosition(quarter: number): string {
	return QUARTER_POSITIONS[quarter - 1] ?? `quarter-${quarter}`;
}

const EXTENSION_BY_MIME: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

/** File extension from the response's content type, then from the URL's path, else png. */
export function extensionFor(contentType: unknown, url: string): string {
	const mime = typeof contentType === 'string' ? contentType.split(';')[0].trim().toLowerCase() : '';
	if (EXTENSION_BY_MIME[mime]) return EXTENSION_BY_MIME[mime];
	const match = /\.([a-z0-9]{3,4})(?:$|[?#])/i.exec(safePathOf(url));
	const fromUrl = match?.[1].toLowerCase();
	if (fromUrl === 'jpeg') return 'jpg';
	return fromUrl && Object.values(EXTENSION_BY_MIME).includes(fromUrl) ? fromUrl : 'png';
}

function safePathOf(url: string): string {
	try {
		return new URL(url).pathname;
	} catch {
		return url;
	}
}

/** Only the origin and path of a link: result links carry short-lived signatures in the query. */
export function describeUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return 'the image link';
	}
}

/**
 * Bounds for downloading one result image. Mutable only so tests can reach them in seconds; node
 * code never changes them.
 */
export const RESULT_DOWNLOAD_LIMITS = {
	/** A 2x2 grid is a few MB; anything past this is not a Midjourney result. */
	maxBytes: 50 * 1024 * 1024,
	/** From the request until the last byte, across redirects; a server dripping bytes is cut off. */
	deadlineMs: 120_000,
	/** Redirect hops followed, each one re-checked like the first link. */
	maxRedirects: 3,
};

/** At most this many split images per task: the grid is 2x2. */
export const MAX_SUB_IMAGES = 4;

type DownloadProblem = { problem: string; retry: boolean };

class DownloadRefused extends Error {
	constructor(readonly problem: DownloadProblem) {
		super(problem.problem);
	}
}

interface StreamingResponse {
	statusCode: number;
	headers: IDataObject;
	body: AsyncIterable<Buffer> & { destroy(error?: Error): void };
}

/**
 * Downloads one result image into n8n's binary store. Only links that came from the API's task
 * record reach this, and still: http(s) to a public address only (publicAddress.ts; the
 * credential's API host is exempt), redirects re-checked hop by hop, at most
 * RESULT_DOWNLOAD_LIMITS.maxBytes, one deadline for the whole download, and the bytes must be an
 * image. Result links are public CDN links, so no credential is sent. An HTTP error or a dropped
 * connection is retried once (CDNs flake); a refused link, size or type is not.
 */
export async function downloadImageAsBinary(
	ctx: DownloadContext,
	url: string,
	fileBaseName: string,
	itemIndex: number,
): Promise<IBinaryData> {
	const { apiBaseUrl } = await getBaseUrls(ctx);
	const exemptHost = new URL(apiBaseUrl).host;
	let lastProblem = '';
	for (let attempt = 1; attempt <= 2; attempt++) {
		try {
			const { data, contentType } = await fetchImageBytes(ctx, url, exemptHost);
			const kind = sniffImageKind(data);
			if (!kind) {
				throw new DownloadRefused({
					problem: `the link did not return an image (not PNG, JPEG, WebP or GIF; content type ${String(contentType ?? 'none').slice(0, 60)})`,
					retry: false,
				});
			}
			// The bytes decide the type and extension, not what the server or the URL claim.
			return await ctx.helpers.prepareBinaryData(data, `${safeFileBaseName(fileBaseName)}.${kind.extension}`, kind.mimeType);
		} catch (error) {
			if (error instanceof DownloadRefused) {
				lastProblem = error.problem.problem;
				if (!error.problem.retry) break;
			} else {
				lastProblem = (error as Error).message?.slice(0, 200) ?? 'network error';
			}
		}
	}
	throw new NodeApiError(
		ctx.getNode(),
		{ url: describeUrl(url), problem: lastProblem },
		{
			message: `Downloading the result image failed: ${lastProblem}${itemSuffix(itemIndex)}`,
			description: `Could not download ${describeUrl(url)}. Result links can expire soon after the task finishes: download promptly, or fetch fresh links with Get (Task resource).`,
			itemIndex,
		},
	);
}

/** File names from task ids and quarters only; anything else becomes `_`. */
export function safeFileBaseName(name: string): string {
	const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);
	return safe === '' ? 'midjourney' : safe;
}

async function fetchImageBytes(
	ctx: DownloadContext,
	url: string,
	exemptHost: string,
): Promise<{ data: Buffer; contentType: unknown; finalUrl: string }> {
	const limits = RESULT_DOWNLOAD_LIMITS;
	const deadline = AbortSignal.timeout(limits.deadlineMs);
	let current = url;
	for (let hop = 0; ; hop++) {
		const refused = refusedDownloadReason(current, exemptHost);
		if (refused) {
			throw new DownloadRefused({ problem: `the link was refused: ${refused}`, retry: false });
		}
		const response = (await ctx.helpers.httpRequest({
			method: 'GET',
			url: current,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			timeout: limits.deadlineMs,
			abortSignal: deadline,
		})) as StreamingResponse;
		const status = response.statusCode;
		if (status >= 300 && status < 400) {
			response.body.destroy();
			const location = response.headers.location;
			if (typeof location !== 'string' || hop >= limits.maxRedirects) {
				throw new DownloadRefused({ problem: `HTTP ${status}: too many redirects or no Location`, retry: false });
			}
			current = new URL(location, current).toString();
			continue;
		}
		if (status < 200 || status >= 300) {
			response.body.destroy();
			const expired = status === 403 ? ' (the link may have expired)' : '';
			throw new DownloadRefused({ problem: `HTTP ${status}${expired}`, retry: true });
		}
		const declared = Number(response.headers['content-length']);
		if (Number.isFinite(declared) && declared > limits.maxBytes) {
			response.body.destroy();
			throw new DownloadRefused({ problem: tooLarge(limits.maxBytes), retry: false });
		}
		const data = await readAtMost(response.body, limits.maxBytes, deadline);
		if (!Buffer.isBuffer(data)) throw new DownloadRefused(data);
		return { data, contentType: response.headers['content-type'], finalUrl: current };
	}
}

function tooLarge(maxBytes: number): string {
	return `the image is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`;
}

/** Reads a response body until its end, the size cap or the deadline, whichever comes first. */
async function readAtMost(
	body: StreamingResponse['body'],
	maxBytes: number,
	deadline: AbortSignal,
): Promise<Buffer | DownloadProblem> {
	const chunks: Buffer[] = [];
	let size = 0;
	let problem: DownloadProblem | undefined;
	const cutOff = () => body.destroy(new Error('the download did not finish in time'));
	if (deadline.aborted) cutOff();
	deadline.addEventListener('abort', cutOff, { once: true });
	try {
		for await (const chunk of body) {
			size += chunk.length;
			if (size > maxBytes) {
				problem = { problem: tooLarge(maxBytes), retry: false };
				body.destroy();
				break;
			}
			chunks.push(chunk);
		}
	} catch (error) {
		problem = deadline.aborted
			? { problem: `the download did not finish within ${Math.round(RESULT_DOWNLOAD_LIMITS.deadlineMs / 1000)} seconds`, retry: false }
			: { problem: (error as Error).message?.slice(0, 200) ?? 'network error', retry: true };
	} finally {
		deadline.removeEventListener('abort', cutOff);
	}
	return problem ?? Buffer.concat(chunks);
}

export function assertImage(
	ctx: IExecuteFunctions,
	data: Buffer,
	what: string,
	fieldHint: string,
	itemIndex: number,
): ImageKind {
	if (data.length === 0) {
		throw new NodeOperationError(ctx.getNode(), `The ${what} is empty${itemSuffix(itemIndex)}`, {
			description: fieldHint,
			itemIndex,
		});
	}
	if (data.length > MAX_INPUT_IMAGE_BYTES) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The ${what} is too large (${(data.length / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_INPUT_IMAGE_BYTES / 1024 / 1024} MB)${itemSuffix(itemIndex)}`,
			{ description: `Resize or compress the image first. ${fieldHint}`, itemIndex },
		);
	}
	const kind = sniffImageKind(data);
	if (!kind) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The ${what} is not a PNG, JPEG, WebP or GIF image${itemSuffix(itemIndex)}`,
			{ description: fieldHint, itemIndex },
		);
	}
	return kind;
}
