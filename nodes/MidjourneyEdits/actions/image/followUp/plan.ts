import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { describeActions, FOLLOW_UP_ACTIONS, isFollowUpAction } from '../../../../shared/followUpActions';
import { isObject } from '../../../../shared/json';
import type { BatchPlan } from '../batchPlan';
import { invalid, readBatchPlan, readSpeed, readWaitMode } from '../batchPlan';
import type { MaskInput } from '../edit/plan';
import { binaryFileIdentity, readMask } from '../edit/plan';

/** One follow-up operation: its name in messages and where its choice comes from. */
export interface FollowUpKind {
	operation: 'upscale' | 'vary' | 'reroll' | 'zoomOut' | 'pan';
	/** In messages: "The upscale was not submitted again". */
	noun: string;
	/** The parameter holding the action (its values are the API's action names); none for Reroll. */
	choiceParameter?: { name: string; displayName: string };
	/** The action when there is no choice (Reroll). */
	fixedAction?: string;
}

export interface FollowUpPlan extends BatchPlan {
	/** The API's action, e.g. upscale2. */
	action: string;
	imageId: string;
	mode: string;
	/** Vary Region only. */
	mask: MaskInput;
}

/**
 * Image ids are long digit strings in every vendor example; this also allows other id styles and
 * bounds what an expression gone wrong can send.
 */
const IMAGE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

function readImageId(ctx: IExecuteFunctions, itemIndex: number): string {
	const value = ctx.getNodeParameter('imageId', itemIndex, '') as unknown;
	const imageId = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
	if (imageId === '') {
		throw invalid(
			ctx,
			itemIndex,
			`'Image ID' is empty [item ${itemIndex + 1}]`,
			"Put the image_id of a finished Midjourney result in 'Image ID'. By default it is read from the incoming item ({{ $json.image_id }}): connect this node after a Midjourney Edits node that waits for its result (Wait Mode 'Poll Until Done' or 'Wait for Callback'), or map the field that holds the image_id.",
		);
	}
	if (!IMAGE_ID_PATTERN.test(imageId)) {
		throw invalid(
			ctx,
			itemIndex,
			`'Image ID' is not an image ID [item ${itemIndex + 1}]`,
			`An image ID looks like 1391372193836826624 (the image_id of a finished result). Got: "${imageId.slice(0, 60)}".`,
		);
	}
	return imageId;
}

/**
 * When the incoming item is the result the Image ID comes from (same image_id) and lists its
 * `actions`, the chosen action must be one of them: checked before any paid request. An item of
 * another image (the Image ID mapped from elsewhere) or without a list is not checked: the API decides.
 */
function checkOffered(ctx: IExecuteFunctions, itemIndex: number, imageId: string, action: string): void {
	const json: IDataObject = ctx.getInputData()[itemIndex]?.json ?? {};
	if (!isObject(json) || String(json.image_id ?? '') !== imageId || !Array.isArray(json.actions)) return;
	const offered = json.actions.filter((entry): entry is string => typeof entry === 'string');
	if (offered.includes(action)) return;
	const chosen = FOLLOW_UP_ACTIONS[action];
	const list = describeActions(offered);
	const offersGrid = offered.some((entry) => isFollowUpAction(entry) && FOLLOW_UP_ACTIONS[entry].needs === 'grid');
	const offersUpscaled = offered.some((entry) => isFollowUpAction(entry) && FOLLOW_UP_ACTIONS[entry].needs === 'upscaled');
	if (chosen.needs === 'upscaled' && offersGrid && !offersUpscaled) {
		throw invalid(
			ctx,
			itemIndex,
			`'${chosen.words}' needs an upscaled image; this image is a 2x2 grid [item ${itemIndex + 1}]`,
			`This image offers: ${list}. Upscale one quarter first (operation 'Upscale', a quarter 1-4), then apply '${chosen.words}' to that result.`,
		);
	}
	if (chosen.needs === 'grid' && offersUpscaled && !offersGrid) {
		throw invalid(
			ctx,
			itemIndex,
			`'${chosen.words}' needs a 2x2 grid; this image is already upscaled [item ${itemIndex + 1}]`,
			`This image offers: ${list}. For a quarter of the grid, use the image_id of the grid this image came from.`,
		);
	}
	throw invalid(
		ctx,
		itemIndex,
		`'${chosen.words}' is not offered for this image [item ${itemIndex + 1}]`,
		`This image offers: ${list}. Choose one of those.`,
	);
}

/** Reads and checks one item of a follow-up operation; throws an error naming the field. */
export function readFollowUpPlan(ctx: IExecuteFunctions, itemIndex: number, kind: FollowUpKind): FollowUpPlan {
	const waitMode = readWaitMode(ctx, itemIndex);
	const imageId = readImageId(ctx, itemIndex);
	const action = kind.choiceParameter
		? String(ctx.getNodeParameter(kind.choiceParameter.name, itemIndex, '') ?? '')
		: kind.fixedAction!;
	if (!isFollowUpAction(action) || FOLLOW_UP_ACTIONS[action].operation !== kind.operation) {
		const choices = Object.values(FOLLOW_UP_ACTIONS)
			.filter((entry) => entry.operation === kind.operation)
			.map((entry) => entry.words);
		throw invalid(
			ctx,
			itemIndex,
			`Unknown '${kind.choiceParameter?.displayName ?? 'Action'}': ${action.slice(0, 40)} [item ${itemIndex + 1}]`,
			`Choose one of: ${choices.join(', ')}.`,
		);
	}
	checkOffered(ctx, itemIndex, imageId, action);
	const mode = readSpeed(ctx, itemIndex);
	let mask: MaskInput = { source: 'none' };
	if (action === 'variation_region') {
		const options = ctx.getNodeParameter('options', itemIndex, {}) as { maskBinaryPropertyName?: string; maskBase64?: string };
		mask = readMask(ctx, itemIndex, options);
		if (mask.source === 'none') {
			throw invalid(
				ctx,
				itemIndex,
				`'Vary (region)' needs a mask [item ${itemIndex + 1}]`,
				"Add 'Mask Input Data Field Name' (a black-and-white image file from a previous node) or 'Mask as Text' under Options: white = the region to vary, black = keep.",
			);
		}
	}
	const batch = readBatchPlan(ctx, itemIndex, waitMode);
	if (kind.operation === 'upscale' && batch.output === 'split') {
		throw invalid(
			ctx,
			itemIndex,
			`'Four Image Files' does not apply to an upscale: its result is one image [item ${itemIndex + 1}]`,
			"Under 'Output', choose 'Image File (Grid)' to get the upscaled image as a file, or 'Links Only'.",
		);
	}
	return { ...batch, action, imageId, mode, mask };
}

/** What a follow-up item asks the API for, as a hash (Retry On Fail finds an earlier try by it). */
export function followUpRequestHash(ctx: IExecuteFunctions, plan: FollowUpPlan): string {
	const maskFile = plan.mask.source === 'binary' ? binaryFileIdentity(ctx, plan.itemIndex, plan.mask.property) : null;
	const asked = [plan.action, plan.imageId, plan.mode, plan.mask, maskFile, plan.waitMode, plan.callbackUrl ?? null];
	return createHash('sha256').update(JSON.stringify(asked)).digest('hex');
}
