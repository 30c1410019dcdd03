import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { callbackLinkKindOf, isPlainlyPrivateUrl } from '../../../shared/callbackSignature';
import { MIDJOURNEY_MODES } from '../../../shared/constants';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_START_CONCURRENCY } from '../../../shared/pacing';
import type { ResultOutput } from '../../../shared/resultItems';

export type WaitMode = 'poll' | 'callback' | 'none';

/**
 * What every operation that submits paid tasks (Edit and the follow-ups) reads the same way for each
 * item: how to wait, what to output, how fast to go. The batch engine (submitAndWait.ts) needs only this.
 */
export interface BatchPlan {
	itemIndex: number;
	waitMode: WaitMode;
	/** "Don't Wait" only: where the API posts the result (a Midjourney Edits Trigger's URL). */
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

/** The Options collection's fields the batch engine reads (operations add their own). */
export interface BatchOptions {
	timeoutSeconds?: number;
	pollIntervalSeconds?: number;
	callbackUrl?: string;
	simplify?: boolean;
	concurrency?: number;
	maxConcurrency?: number;
	allowPrivateCallbackUrl?: boolean;
}

export function invalid(ctx: IExecuteFunctions, itemIndex: number, message: string, description: string) {
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
	const options = (read('options', {}) ?? {}) as BatchOptions;
	return { output, simplify: options.simplify !== false };
}

export function checkHttpUrl(
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
			`The link starts with "${parsed.protocol}". For a file from a previous node, set 'Image Source' to 'File From a Previous Node'.`,
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

/** The 'Speed' parameter (the API's `mode`). */
export function readSpeed(ctx: IExecuteFunctions, itemIndex: number): string {
	const mode = String(ctx.getNodeParameter('mode', itemIndex, 'fast') ?? '').trim().toLowerCase();
	if (!(MIDJOURNEY_MODES as readonly string[]).includes(mode)) {
		throw invalid(
			ctx,
			itemIndex,
			`'Speed' must be fast, relax or turbo [item ${itemIndex + 1}]`,
			`Got: "${mode}".`,
		);
	}
	return mode;
}

/** The Wait Mode: an agent waits for its tool's answer, and only polling hands the result back in the same call. */
export function readWaitMode(ctx: IExecuteFunctions, itemIndex: number): string {
	return isToolCall(ctx.getNode()) ? 'poll' : (ctx.getNodeParameter('waitMode', itemIndex, 'poll') as string);
}

/** Reads and checks how one item waits, what it outputs and how fast the batch goes. */
export function readBatchPlan(ctx: IExecuteFunctions, itemIndex: number, waitMode: string): BatchPlan {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as BatchOptions;
	if (!['poll', 'callback', 'none'].includes(waitMode)) {
		throw invalid(ctx, itemIndex, `Unknown 'Wait Mode': ${waitMode} [item ${itemIndex + 1}]`, "Choose 'Poll Until Done', 'Wait for Callback' or 'Don't Wait'.");
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
					"Copy the Production URL of a Midjourney Edits Trigger (it contains /webhook/). To wait for the result inside this workflow, set 'Wait Mode' to 'Wait for Callback' instead.",
				);
			}
			if (!allowPrivateCallbackUrl && isPlainlyPrivateUrl(callbackUrl)) {
				throw invalid(
					ctx,
					itemIndex,
					`'Callback URL' points to a private address the API cannot reach [item ${itemIndex + 1}]`,
					"Ace Data Cloud calls back over the internet: use n8n's public address, or turn on the option 'Allow Private Callback URL' if a tunnel forwards it.",
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
