import { createHash } from 'crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

import { MAX_INPUT_IMAGE_BYTES } from '../../../../shared/images';
import type { BatchOptions, BatchPlan } from '../batchPlan';
import { checkHttpUrl, invalid, readBatchPlan, readSpeed, readWaitMode } from '../batchPlan';

/**
 * The vendor documents no prompt limit; Midjourney prompts are short sentences, and this bounds what
 * an expression gone wrong (a whole document mapped into the prompt) can send (assumption).
 */
export const MAX_PROMPT_LENGTH = 6000;

export type MaskInput = { source: 'none' } | { source: 'binary'; property: string } | { source: 'base64'; value: string };

/** Everything one input item asks for, checked before any request is sent. */
export interface EditPlan extends BatchPlan {
	image: { source: 'url'; url: string } | { source: 'binary'; property: string };
	prompt: string;
	mode: string;
	/** Whether the API is asked for the four images of the grid (not for the grid file alone). */
	splitImages: boolean;
	mask: MaskInput;
}

interface MaskOptions {
	maskBinaryPropertyName?: string;
	maskBase64?: string;
}

/**
 * The optional mask under Options (Edit, and Vary Region): adding one of its two fields is the
 * choice. Checks a binary mask's declared size before anything reads it.
 */
export function readMask(ctx: IExecuteFunctions, itemIndex: number, options: MaskOptions): MaskInput {
	const maskProperty = String(options.maskBinaryPropertyName ?? '').trim();
	const maskText = String(options.maskBase64 ?? '').trim();
	if (maskProperty !== '' && maskText !== '') {
		throw invalid(
			ctx,
			itemIndex,
			`Two masks given [item ${itemIndex + 1}]`,
			"Keep either 'Mask Input Data Field Name' or 'Mask as Text' under Options, not both.",
		);
	}
	if (maskProperty !== '') {
		checkDeclaredFileSize(ctx, itemIndex, maskProperty, 'Mask Input Data Field Name');
		return { source: 'binary', property: maskProperty };
	}
	if (maskText !== '') return { source: 'base64', value: maskText };
	return { source: 'none' };
}

/** Reads and validates one item's parameters; throws a NodeOperationError naming the field. */
export function readEditPlan(ctx: IExecuteFunctions, itemIndex: number): EditPlan {
	const imageSource = ctx.getNodeParameter('imageSource', itemIndex, 'url') as string;
	// An agent waits for its tool's answer: only polling hands the result back in the same call.
	const waitMode = readWaitMode(ctx, itemIndex);
	const options = ctx.getNodeParameter('options', itemIndex, {}) as BatchOptions & MaskOptions;

	let image: EditPlan['image'];
	if (imageSource === 'url') {
		const raw = String(ctx.getNodeParameter('imageUrl', itemIndex, '') ?? '').trim();
		if (raw === '') {
			throw invalid(
				ctx,
				itemIndex,
				`'Image URL' is empty [item ${itemIndex + 1}]`,
				"Give a direct link to the image, or map one from a previous node (drag a field into 'Image URL').",
			);
		}
		image = { source: 'url', url: checkHttpUrl(ctx, itemIndex, 'Image URL', raw) };
	} else if (imageSource === 'binary') {
		const property = String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
		if (property === '') {
			throw invalid(ctx, itemIndex, `'Input Data Field Name' is empty [item ${itemIndex + 1}]`, "Enter the binary field name, usually 'data'.");
		}
		image = { source: 'binary', property };
		checkDeclaredFileSize(ctx, itemIndex, property, 'Input Data Field Name');
	} else {
		throw invalid(ctx, itemIndex, `Unknown 'Image Source': ${imageSource} [item ${itemIndex + 1}]`, "Choose 'Image URL' or 'File From a Previous Node'.");
	}

	const prompt = String(ctx.getNodeParameter('prompt', itemIndex, '') ?? '').trim();
	if (prompt === '') {
		throw invalid(
			ctx,
			itemIndex,
			`'Prompt' is empty [item ${itemIndex + 1}]`,
			'Describe what to change in the image, e.g. "the same cat, as a watercolor painting". If the prompt comes from an expression, check that the field exists in this item.',
		);
	}

	if (prompt.length > MAX_PROMPT_LENGTH) {
		throw invalid(
			ctx,
			itemIndex,
			`'Prompt' is too long: ${prompt.length} characters, at most ${MAX_PROMPT_LENGTH} [item ${itemIndex + 1}]`,
			'Shorten the prompt. If it comes from an expression, check that it maps the intended field and not a whole document.',
		);
	}

	const mode = readSpeed(ctx, itemIndex);
	// The mask is optional and lives under Options: adding one of its two fields is the choice.
	const mask = readMask(ctx, itemIndex, options);
	const batch = readBatchPlan(ctx, itemIndex, waitMode);
	return {
		...batch,
		image,
		prompt,
		mode,
		// Four files need the split; links come with the four images' links too (sub_image_urls), which
		// a spreadsheet or an agent can use without downloading anything. The grid file needs none.
		splitImages: batch.output !== 'grid',
		mask,
	};
}

/**
 * What one item asks the API for, as a hash: the parameters that shape the request, plus the
 * identity of its input files (n8n's binary metadata, not the bytes). Not the request body itself:
 * that carries a fresh upload URL and a fresh signature nonce on every try.
 */
export function editRequestHash(ctx: IExecuteFunctions, plan: EditPlan): string {
	const files = {
		image: plan.image.source === 'binary' ? binaryFileIdentity(ctx, plan.itemIndex, plan.image.property) : null,
		mask: plan.mask.source === 'binary' ? binaryFileIdentity(ctx, plan.itemIndex, plan.mask.property) : null,
	};
	const asked = [plan.image, plan.prompt, plan.mode, plan.splitImages, plan.mask, plan.waitMode, plan.callbackUrl ?? null, files];
	return createHash('sha256').update(JSON.stringify(asked)).digest('hex');
}

/** An input file as n8n describes it (id, name, type, size; the data only in memory mode), for request hashes. */
export function binaryFileIdentity(ctx: IExecuteFunctions, itemIndex: number, property: string): unknown[] | null {
	const file = ctx.getInputData()[itemIndex]?.binary?.[property];
	return file ? [file.id ?? null, file.fileName ?? null, file.mimeType, file.fileSize ?? null, file.id ? null : file.data] : null;
}

const PRETTY_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** The size n8n recorded for a binary field (`bytes`, else its "1.2 MB" text), without reading the file. */
export function declaredFileSize(file: { bytes?: unknown; fileSize?: unknown; data?: unknown; id?: unknown }): number | undefined {
	if (typeof file.bytes === 'number' && Number.isFinite(file.bytes)) return file.bytes;
	const pretty = typeof file.fileSize === 'string' ? /^([\d.]+)\s*([kmgt]?b)$/i.exec(file.fileSize.trim()) : null;
	if (pretty) return Number(pretty[1]) * (PRETTY_UNITS[pretty[2].toLowerCase()] ?? 1);
	// Memory mode keeps the file as base64 in the item itself.
	if (!file.id && typeof file.data === 'string') return Math.floor((file.data.length * 3) / 4);
	return undefined;
}

/** Refuses a file n8n already knows to be too large, before it is read into memory. */
function checkDeclaredFileSize(ctx: IExecuteFunctions, itemIndex: number, property: string, field: string): void {
	const file = ctx.getInputData()[itemIndex]?.binary?.[property];
	const size = file ? declaredFileSize(file) : undefined;
	if (size !== undefined && size > MAX_INPUT_IMAGE_BYTES) {
		throw invalid(
			ctx,
			itemIndex,
			`The file in '${property}' is too large (${(size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_INPUT_IMAGE_BYTES / 1024 / 1024} MB) [item ${itemIndex + 1}]`,
			`Resize or compress the image first, or point '${field}' at another binary field.`,
		);
	}
}
