import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { MIDJOURNEY_MODES } from '../../../../shared/constants';
import { isPlainlyPrivateUrl } from '../../../../shared/callbackSignature';

/** How far adaptive submission may raise the concurrency unless Options → Max Concurrency says otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 50;

export type WaitMode = 'poll' | 'callback' | 'none';
export type DownloadImages = 'none' | 'grid' | 'split';

/** Everything one input item asks for, checked before any request is sent. */
export interface EditPlan {
	itemIndex: number;
	image: { source: 'url'; url: string } | { source: 'binary'; property: string };
	prompt: string;
	mode: string;
	splitImages: boolean;
	mask: { source: 'none' } | { source: 'binary'; property: string } | { source: 'base64'; value: string };
	waitMode: WaitMode;
	callbackUrl?: string;
	timeoutMs: number;
	pollIntervalMs: number;
	download: DownloadImages;
	concurrency: number;
	/** Upper bound for the adaptive submission concurrency (at least `concurrency`). */
	maxConcurrency: number;
	allowPrivateCallbackUrl: boolean;
}

interface EditOptions {
	timeoutSeconds?: number;
	pollIntervalSeconds?: number;
	downloadImages?: string;
	concurrency?: number;
	maxConcurrency?: number;
	allowPrivateCallbackUrl?: boolean;
}

function invalid(ctx: IExecuteFunctions, itemIndex: number, message: string, description: string) {
	return new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
}

function checkHttpUrl(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: string,
): string {
	let parsed: URL;
	try {
		parsed = new URL(value);
	} catch {
		throw invalid(
			ctx,
			itemIndex,
			`"${field}" is not a valid URL (item ${itemIndex + 1})`,
			`Enter a full link starting with https://, for example https://example.com/photo.jpg. Got: "${value.slice(0, 100)}".`,
		);
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw invalid(
			ctx,
			itemIndex,
			`"${field}" must be an http(s) link (item ${itemIndex + 1})`,
			`The link starts with "${parsed.protocol}". For a file from a previous node, set "Image Source" to "File From a Previous Node".`,
		);
	}
	if (parsed.username || parsed.password) {
		throw invalid(
			ctx,
			itemIndex,
			`"${field}" must not contain a user name or password (item ${itemIndex + 1})`,
			'Links with credentials in them would be sent to Ace Data Cloud and Midjourney. Use a public or signed link instead.',
		);
	}
	return parsed.toString();
}

function numberIn(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isFinite(number) || number < min || number > max) {
		throw invalid(
			ctx,
			itemIndex,
			`"${field}" must be a number from ${min} to ${max} (item ${itemIndex + 1})`,
			`Got: ${JSON.stringify(value)}. Change it under Options → ${field}.`,
		);
	}
	return number;
}

/** Reads and validates one item's parameters; throws a NodeOperationError naming the field. */
export function readEditPlan(ctx: IExecuteFunctions, itemIndex: number): EditPlan {
	const imageSource = ctx.getNodeParameter('imageSource', itemIndex, 'url') as string;
	const waitMode = ctx.getNodeParameter('waitMode', itemIndex, 'poll') as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as EditOptions;

	let image: EditPlan['image'];
	if (imageSource === 'url') {
		const raw = String(ctx.getNodeParameter('imageUrl', itemIndex, '') ?? '').trim();
		if (raw === '') {
			throw invalid(
				ctx,
				itemIndex,
				`"Image URL" is empty (item ${itemIndex + 1})`,
				'Give a direct link to the image, or map one from a previous node (drag a field into "Image URL").',
			);
		}
		image = { source: 'url', url: checkHttpUrl(ctx, itemIndex, 'Image URL', raw) };
	} else if (imageSource === 'binary') {
		const property = String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
		if (property === '') {
			throw invalid(ctx, itemIndex, `"Input Binary Field" is empty (item ${itemIndex + 1})`, 'Enter the binary field name, usually "data".');
		}
		image = { source: 'binary', property };
	} else {
		throw invalid(ctx, itemIndex, `Unknown "Image Source": ${imageSource}`, 'Choose "Image URL" or "File From a Previous Node".');
	}

	const prompt = String(ctx.getNodeParameter('prompt', itemIndex, '') ?? '').trim();
	if (prompt === '') {
		throw invalid(
			ctx,
			itemIndex,
			`"Prompt" is empty (item ${itemIndex + 1})`,
			'Describe what to change in the image, e.g. "the same cat, as a watercolor painting". If the prompt comes from an expression, check that the field exists in this item.',
		);
	}

	const mode = String(ctx.getNodeParameter('mode', itemIndex, 'fast') ?? '').trim().toLowerCase();
	if (!(MIDJOURNEY_MODES as readonly string[]).includes(mode)) {
		throw invalid(
			ctx,
			itemIndex,
			`"Mode" must be fast, relax or turbo (item ${itemIndex + 1})`,
			`Got: "${mode}".`,
		);
	}

	const maskSource = ctx.getNodeParameter('maskSource', itemIndex, 'none') as string;
	let mask: EditPlan['mask'] = { source: 'none' };
	if (maskSource === 'binary') {
		const property = String(ctx.getNodeParameter('maskBinaryPropertyName', itemIndex, 'mask') ?? '').trim();
		if (property === '') {
			throw invalid(ctx, itemIndex, `"Mask Binary Field" is empty (item ${itemIndex + 1})`, 'Enter the binary field that holds the mask image.');
		}
		mask = { source: 'binary', property };
	} else if (maskSource === 'base64') {
		const value = String(ctx.getNodeParameter('maskBase64', itemIndex, '') ?? '').trim();
		if (value === '') {
			throw invalid(ctx, itemIndex, `"Mask (Base64)" is empty (item ${itemIndex + 1})`, 'Paste the mask image as base64, or choose "No Mask".');
		}
		mask = { source: 'base64', value };
	} else if (maskSource !== 'none') {
		throw invalid(ctx, itemIndex, `Unknown "Mask" choice: ${maskSource}`, 'Choose "No Mask", "File From a Previous Node" or "Base64 Text".');
	}

	if (!['poll', 'callback', 'none'].includes(waitMode)) {
		throw invalid(ctx, itemIndex, `Unknown "Wait Mode": ${waitMode}`, 'Choose "Poll Until Done", "Wait for Callback" or "Don\'t Wait".');
	}
	const allowPrivateCallbackUrl = options.allowPrivateCallbackUrl === true;
	let callbackUrl: string | undefined;
	if (waitMode === 'none') {
		const raw = String(ctx.getNodeParameter('callbackUrl', itemIndex, '') ?? '').trim();
		if (raw !== '') {
			callbackUrl = checkHttpUrl(ctx, itemIndex, 'Callback URL', raw);
			if (!allowPrivateCallbackUrl && isPlainlyPrivateUrl(callbackUrl)) {
				throw invalid(
					ctx,
					itemIndex,
					`"Callback URL" points to a private address the API cannot reach (item ${itemIndex + 1})`,
					'Ace Data Cloud calls back over the internet: use n8n\'s public address (set WEBHOOK_URL), or turn on Options → "Allow Private Callback Address" if a tunnel forwards it.',
				);
			}
		}
	}

	const download = (options.downloadImages ?? 'none') as string;
	if (!['none', 'grid', 'split'].includes(download)) {
		throw invalid(ctx, itemIndex, `Unknown "Download Images" choice: ${download}`, 'Choose "Don\'t Download", "Grid Image" or "Four Split Images".');
	}

	const concurrency = Math.floor(numberIn(ctx, itemIndex, 'Concurrency', options.concurrency ?? 5, 1, 50));
	const maxConcurrency = Math.floor(
		numberIn(ctx, itemIndex, 'Max Concurrency', options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, 1, 200),
	);
	return {
		itemIndex,
		image,
		prompt,
		mode,
		// Four split files need the API to split the grid.
		splitImages: (ctx.getNodeParameter('splitImages', itemIndex, false) as boolean) || download === 'split',
		mask,
		waitMode: waitMode as WaitMode,
		callbackUrl,
		timeoutMs: numberIn(ctx, itemIndex, 'Timeout (Seconds)', options.timeoutSeconds ?? 600, 1, 86400) * 1000,
		pollIntervalMs:
			numberIn(ctx, itemIndex, 'Poll Interval (Seconds)', options.pollIntervalSeconds ?? 5, 1, 300) * 1000,
		download: download as DownloadImages,
		concurrency,
		maxConcurrency: Math.max(concurrency, maxConcurrency),
		allowPrivateCallbackUrl,
	};
}
