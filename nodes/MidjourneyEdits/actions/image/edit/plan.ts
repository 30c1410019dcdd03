import { createHash } from 'crypto';
import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { MIDJOURNEY_MODES } from '../../../../shared/constants';
import { MAX_INPUT_IMAGE_BYTES } from '../../../../shared/images';
import type { ResultOutput } from '../../../../shared/resultItems';
import { callbackLinkKindOf, isPlainlyPrivateUrl } from '../../../../shared/callbackSignature';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_START_CONCURRENCY } from '../../../../shared/pacing';

export type WaitMode = 'poll' | 'callback' | 'none';

/**
 * The vendor documents no prompt limit; Midjourney prompts are short sentences, and this bounds what
 * an expression gone wrong (a whole document mapped into the prompt) can send (assumption).
 */
export const MAX_PROMPT_LENGTH = 6000;

/** Everything one input item asks for, checked before any request is sent. */
export interface EditPlan {
	itemIndex: number;
	image: { source: 'url'; url: string } | { source: 'binary'; property: string };
	prompt: string;
	mode: string;
	/** Whether the API is asked for the four images of the grid (not for the grid file alone). */
	splitImages: boolean;
	mask: { source: 'none' } | { source: 'binary'; property: string } | { source: 'base64'; value: string };
	waitMode: WaitMode;
	callbackUrl?: string;
	timeoutMs: number;
	pollIntervalMs: number;
	output: ResultOutput;
	/** Output only the fields a user maps next, not the API's whole answer. */
	simplify: boolean;
	concurrency: number;
	/** Upper bound for the adaptive submission concurrency (at least `concurrency`). */
	maxConcurrency: number;
	allowPrivateCallbackUrl: boolean;
}

interface EditOptions {
	timeoutSeconds?: number;
	pollIntervalSeconds?: number;
	callbackUrl?: string;
	maskBinaryPropertyName?: string;
	maskBase64?: string;
	simplify?: boolean;
	concurrency?: number;
	maxConcurrency?: number;
	allowPrivateCallbackUrl?: boolean;
}

function invalid(ctx: IExecuteFunctions, itemIndex: number, message: string, description: string) {
	return new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
}

/**
 * Whether n8n runs this node as an AI agent's tool: n8n gives the tool variant of a node a type
 * ending in "Tool" (and hides parameters shown with `@tool` the same way).
 */
export function isToolCall(node: INode): boolean {
	return node.type.endsWith('Tool');
}

const RESULT_OUTPUTS: readonly ResultOutput[] = ['grid', 'split', 'links'];

/**
 * How results are output, read the same way when polling and when a callback resumes the execution.
 * An agent cannot read files (binary data does not reach it), so a tool call outputs simplified links.
 */
export function outputAndShapeOf(
	node: INode,
	read: (name: string, fallback: unknown) => unknown,
	itemIndex = 0,
): { output: ResultOutput; simplify: boolean } {
	if (isToolCall(node)) return { output: 'links', simplify: true };
	const output = String(read('output', 'grid')) as ResultOutput;
	if (!RESULT_OUTPUTS.includes(output)) {
		throw new NodeOperationError(node, `Unknown 'Output' choice: ${output} [item ${itemIndex + 1}]`, {
			itemIndex,
			description: "Choose 'Image File (Grid)', 'Four Image Files' or 'Links Only'.",
		});
	}
	const options = (read('options', {}) ?? {}) as EditOptions;
	return { output, simplify: options.simplify !== false };
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
			`'${field}' is not a valid URL [item ${itemIndex + 1}]`,
			`Enter a full link starting with https://, for example https://example.com/photo.jpg. Got: "${value.slice(0, 100)}".`,
		);
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw invalid(
			ctx,
			itemIndex,
			`'${field}' must be an http(s) link [item ${itemIndex + 1}]`,
			`The link starts with "${parsed.protocol}". For a file from a previous node, set 'Image Source' to "File From a Previous Node".`,
		);
	}
	if (parsed.username || parsed.password) {
		throw invalid(
			ctx,
			itemIndex,
			`'${field}' must not contain a user name or password [item ${itemIndex + 1}]`,
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
			`'${field}' must be a number from ${min} to ${max} [item ${itemIndex + 1}]`,
			`Got: ${JSON.stringify(value)}. Change the option '${field}'.`,
		);
	}
	return number;
}

/** Reads and validates one item's parameters; throws a NodeOperationError naming the field. */
export function readEditPlan(ctx: IExecuteFunctions, itemIndex: number): EditPlan {
	const imageSource = ctx.getNodeParameter('imageSource', itemIndex, 'url') as string;
	// An agent waits for its tool's answer: only polling hands the result back in the same call.
	const waitMode = isToolCall(ctx.getNode()) ? 'poll' : (ctx.getNodeParameter('waitMode', itemIndex, 'poll') as string);
	const options = ctx.getNodeParameter('options', itemIndex, {}) as EditOptions;

	let image: EditPlan['image'];
	if (imageSource === 'url') {
		const raw = String(ctx.getNodeParameter('imageUrl', itemIndex, '') ?? '').trim();
		if (raw === '') {
			throw invalid(
				ctx,
				itemIndex,
				`'Image URL' is empty [item ${itemIndex + 1}]`,
				'Give a direct link to the image, or map one from a previous node (drag a field into "Image URL").',
			);
		}
		image = { source: 'url', url: checkHttpUrl(ctx, itemIndex, 'Image URL', raw) };
	} else if (imageSource === 'binary') {
		const property = String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
		if (property === '') {
			throw invalid(ctx, itemIndex, `'Input Data Field Name' is empty [item ${itemIndex + 1}]`, 'Enter the binary field name, usually "data".');
		}
		image = { source: 'binary', property };
		checkDeclaredFileSize(ctx, itemIndex, property, 'Input Data Field Name');
	} else {
		throw invalid(ctx, itemIndex, `Unknown 'Image Source': ${imageSource}`, 'Choose "Image URL" or "File From a Previous Node".');
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

	const mode = String(ctx.getNodeParameter('mode', itemIndex, 'fast') ?? '').trim().toLowerCase();
	if (!(MIDJOURNEY_MODES as readonly string[]).includes(mode)) {
		throw invalid(
			ctx,
			itemIndex,
			`'Speed' must be fast, relax or turbo [item ${itemIndex + 1}]`,
			`Got: "${mode}".`,
		);
	}

	// The mask is optional and lives under Options: adding one of its two fields is the choice.
	const maskProperty = String(options.maskBinaryPropertyName ?? '').trim();
	const maskText = String(options.maskBase64 ?? '').trim();
	let mask: EditPlan['mask'] = { source: 'none' };
	if (maskProperty !== '' && maskText !== '') {
		throw invalid(
			ctx,
			itemIndex,
			`Two masks given [item ${itemIndex + 1}]`,
			"Keep either 'Mask Input Data Field Name' or 'Mask as Text' under Options, not both.",
		);
	}
	if (maskProperty !== '') {
		mask = { source: 'binary', property: maskProperty };
		checkDeclaredFileSize(ctx, itemIndex, maskProperty, 'Mask Input Data Field Name');
	} else if (maskText !== '') {
		mask = { source: 'base64', value: maskText };
	}

	if (!['poll', 'callback', 'none'].includes(waitMode)) {
		throw invalid(ctx, itemIndex, `Unknown 'Wait Mode': ${waitMode}`, 'Choose "Poll Until Done", "Wait for Callback" or "Don\'t Wait".');
	}
	const allowPrivateCallbackUrl = options.allowPrivateCallbackUrl === true;
	let callbackUrl: string | undefined;
	if (waitMode === 'none') {
		const raw = String(options.callbackUrl ?? '').trim();
		if (raw !== '') {
			callbackUrl = checkHttpUrl(ctx, itemIndex, 'Callback URL', raw);
			if (callbackLinkKindOf(new URL(callbackUrl).pathname) === 'resume') {
				// Signing it would hand out a link that resumes a waiting execution of this n8n.
				throw invalid(
					ctx,
					itemIndex,
					`'Callback URL' must be a Midjourney Edits Trigger's URL, not a waiting execution's resume URL [item ${itemIndex + 1}]`,
					'Copy the Production URL of a Midjourney Edits Trigger (it contains /webhook/). To wait for the result inside this workflow, set "Wait Mode" to "Wait for Callback" instead.',
				);
			}
			if (!allowPrivateCallbackUrl && isPlainlyPrivateUrl(callbackUrl)) {
				throw invalid(
					ctx,
					itemIndex,
					`'Callback URL' points to a private address the API cannot reach [item ${itemIndex + 1}]`,
					"Ace Data Cloud calls back over the internet: use n8n's public address, or turn on the option 'Allow Private Callback Address' if a tunnel forwards it.",
				);
			}
		}
	}

	const { output, simplify } = outputAndShapeOf(
		ctx.getNode(),
		(name, fallback) => ctx.getNodeParameter(name, itemIndex, fallback),
		itemIndex,
	);

	const concurrency = Math.floor(numberIn(ctx, itemIndex, 'Concurrency', options.concurrency ?? DEFAULT_START_CONCURRENCY, 1, 200));
	const maxConcurrency = Math.floor(
		numberIn(ctx, itemIndex, 'Max Concurrency', options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, 1, 200),
	);
	return {
		itemIndex,
		image,
		prompt,
		mode,
		// Four files need the split; links come with the four images' links too (sub_image_urls), which
		// a spreadsheet or an agent can use without downloading anything. The grid file needs none.
		splitImages: output !== 'grid',
		mask,
		waitMode: waitMode as WaitMode,
		callbackUrl,
		timeoutMs: numberIn(ctx, itemIndex, 'Timeout (Seconds)', options.timeoutSeconds ?? 600, 1, 86400) * 1000,
		pollIntervalMs:
			numberIn(ctx, itemIndex, 'Poll Interval (Seconds)', options.pollIntervalSeconds ?? 5, 1, 300) * 1000,
		output,
		simplify,
		concurrency,
		maxConcurrency: Math.max(concurrency, maxConcurrency),
		allowPrivateCallbackUrl,
	};
}

/**
 * What one item asks the API for, as a hash: the parameters that shape the request, plus the
 * identity of its input files (n8n's binary metadata, not the bytes). Not the request body itself:
 * that carries a fresh upload URL and a fresh signature nonce on every try.
 */
export function editRequestHash(ctx: IExecuteFunctions, plan: EditPlan): string {
	const binary = ctx.getInputData()[plan.itemIndex]?.binary ?? {};
	const fileOf = (property: string) => {
		const file = binary[property];
		return file ? [file.id ?? null, file.fileName ?? null, file.mimeType, file.fileSize ?? null, file.id ? null : file.data] : null;
	};
	const files = {
		image: plan.image.source === 'binary' ? fileOf(plan.image.property) : null,
		mask: plan.mask.source === 'binary' ? fileOf(plan.mask.property) : null,
	};
	const asked = [plan.image, plan.prompt, plan.mode, plan.splitImages, plan.mask, plan.waitMode, plan.callbackUrl ?? null, files];
	return createHash('sha256').update(JSON.stringify(asked)).digest('hex');
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
			`The file in "${property}" is too large (${(size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_INPUT_IMAGE_BYTES / 1024 / 1024} MB) [item ${itemIndex + 1}]`,
			`Resize or compress the image first, or point '${field}' at another binary field.`,
		);
	}
}
