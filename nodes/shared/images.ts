import type { IBinaryData, IDataObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

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

function mimeFor(extension: string): string {
	return Object.entries(EXTENSION_BY_MIME).find(([, ext]) => ext === extension)?.[0] ?? 'image/png';
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
 * Downloads one result image into n8n's binary store. Result links are public CDN links (often
 * signed and short-lived), so no credential is sent; a failure is retried once because CDNs
 * flake, then reported with the status.
 */
export async function downloadImageAsBinary(
	ctx: DownloadContext,
	url: string,
	fileBaseName: string,
	itemIndex: number,
): Promise<IBinaryData> {
	let lastProblem = '';
	for (let attempt = 1; attempt <= 2; attempt++) {
		try {
			const response = (await ctx.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'arraybuffer',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: 120_000,
			})) as { statusCode: number; headers: IDataObject; body: Buffer | ArrayBuffer };
			if (response.statusCode >= 200 && response.statusCode < 300) {
				const data = Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body);
				const extension = extensionFor(response.headers['content-type'], url);
				return await ctx.helpers.prepareBinaryData(
					data,
					`${fileBaseName}.${extension}`,
					sniffImageKind(data)?.mimeType ?? mimeFor(extension),
				);
			}
			lastProblem = `HTTP ${response.statusCode}${response.statusCode === 403 ? ' (the link may have expired)' : ''}`;
		} catch (error) {
			lastProblem = (error as Error).message?.slice(0, 200) ?? 'network error';
		}
	}
	throw new NodeApiError(
		ctx.getNode(),
		{ url: describeUrl(url), problem: lastProblem },
		{
			message: `Downloading the result image failed: ${lastProblem}`,
			description: `Tried twice to download ${describeUrl(url)}. Result links can expire soon after the task finishes: download promptly, or fetch fresh links with "Task → Get".`,
			itemIndex,
		},
	);
}

export function assertImage(
	ctx: IExecuteFunctions,
	data: Buffer,
	what: string,
	fieldHint: string,
	itemIndex: number,
): ImageKind {
	if (data.length === 0) {
		throw new NodeOperationError(ctx.getNode(), `The ${what} is empty`, {
			description: fieldHint,
			itemIndex,
		});
	}
	if (data.length > MAX_INPUT_IMAGE_BYTES) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The ${what} is too large (${(data.length / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_INPUT_IMAGE_BYTES / 1024 / 1024} MB)`,
			{ description: `Resize or compress the image first. ${fieldHint}`, itemIndex },
		);
	}
	const kind = sniffImageKind(data);
	if (!kind) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The ${what} is not a PNG, JPEG, WebP or GIF image`,
			{ description: fieldHint, itemIndex },
		);
	}
	return kind;
}
