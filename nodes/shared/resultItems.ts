import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { DownloadContext } from './images';
import { itemSuffix } from './errors';
import { asNodeError } from './nodeErrors';
import { describeUrl, downloadImageAsBinary, MAX_SUB_IMAGES, quarterPosition } from './images';

/** What a finished edit is output as: the grid as a file, its four images as files, or links only. */
export type ResultOutput = 'grid' | 'split' | 'links';

/**
 * The "Output" choice of both nodes, on the main panel: the same choices and file names. Only what
 * "Four Image Files" needs differs (the action node asks the API to split the grid, the trigger cannot).
 */
export function outputParameter(splitDescription: string, extra: Partial<INodeProperties> = {}): INodeProperties {
	return {
		displayName: 'Output',
		name: 'output',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Four Image Files', value: 'split', description: splitDescription },
			{
				name: 'Image File (Grid)',
				value: 'grid',
				description: "The resulting 2x2 grid as one image file in the output's 'data' field, ready for Google Drive, email or a form",
			},
			{
				name: 'Links Only',
				value: 'links',
				description: 'Only links: to the grid (image_url) and to its four images (sub_image_urls). Links can expire: choose a file to keep the image.',
			},
		],
		default: 'grid',
		hint: 'Midjourney returns one image holding four variations in a 2x2 grid',
		...extra,
	};
}

/**
 * The fields of a finished edit a user maps next, most used first (n8n's Simplify: at most 10, flat);
 * the rest of the API's answer is behind Simplify off. `image_id` and `actions` are what a follow-up
 * (upscale, variation, reroll) needs. Task → Get / Get Many use the same list (actions/task/recordOutput.ts).
 */
const SIMPLIFIED_RESULT_FIELDS = [
	'task_id',
	'status',
	'image_url',
	'sub_image_urls',
	'image_width',
	'image_height',
	'image_id',
	'actions',
	'success',
	'error',
];

export function simplifiedResult(result: IDataObject): IDataObject {
	const simplified: IDataObject = {};
	for (const field of SIMPLIFIED_RESULT_FIELDS) {
		if (result[field] !== undefined) simplified[field] = result[field];
	}
	return simplified;
}

function stringsOf(value: unknown): string[] {
	return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

function errorMessageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * Turns one finished edit into output items: the API's result as JSON, plus the image files when
 * asked. Used by the action node (poll and callback modes) and by the trigger, so both download
 * and name files the same way. Files are fetched one at a time so a large batch holds at most
 * one image in memory before n8n's binary store takes it.
 */
export async function resultItemsFor(
	ctx: DownloadContext,
	result: IDataObject,
	output: ResultOutput,
	pairedItemIndex: number,
	continueOnFail: boolean,
): Promise<INodeExecutionData[]> {
	const pairedItem = { item: pairedItemIndex };
	const taskId = typeof result.task_id === 'string' ? result.task_id : 'midjourney';
	if (output === 'links') return [{ json: result, pairedItem }];

	if (output === 'grid') {
		const gridUrl = typeof result.image_url === 'string' ? result.image_url : '';
		try {
			if (!gridUrl) throw missingLinkError(ctx, 'image_url', pairedItemIndex);
			const data = await downloadImageAsBinary(ctx, gridUrl, taskId, pairedItemIndex);
			return [{ json: result, binary: { data }, pairedItem }];
		} catch (error) {
			if (!continueOnFail) throw asNodeError(ctx.getNode(), error, pairedItemIndex);
			return [{ json: { ...result, error: errorMessageOf(error) }, pairedItem }];
		}
	}

	// A grid splits into four; more links than that is not a result to fetch one by one.
	const subUrls = stringsOf(result.sub_image_urls).slice(0, MAX_SUB_IMAGES);
	if (subUrls.length === 0) {
		const error = missingLinkError(ctx, 'sub_image_urls', pairedItemIndex);
		if (!continueOnFail) throw error;
		return [{ json: { ...result, error: error.message }, pairedItem }];
	}
	const items: INodeExecutionData[] = [];
	for (const [index, url] of subUrls.entries()) {
		const quarter = index + 1;
		const json: IDataObject = {
			task_id: result.task_id,
			quarter,
			position: quarterPosition(quarter),
			image_url: url,
			grid_image_url: result.image_url,
			image_id: result.image_id,
			success: result.success,
			...(result.action !== undefined ? { action: result.action } : {}),
		};
		try {
			const data = await downloadImageAsBinary(ctx, url, `${taskId}_${quarter}`, pairedItemIndex);
			items.push({ json, binary: { data }, pairedItem });
		} catch (error) {
			const explained = await explainSplitFailure(ctx, error, result, quarter, pairedItemIndex);
			if (!continueOnFail) throw explained;
			// The description says whether the grid can still be downloaded: keep it in the item too.
			const { description } = explained as { description?: string | null };
			items.push({ json: { ...json, error: explained.message, ...(description ? { description } : {}) }, pairedItem });
		}
	}
	return items;
}

function missingLinkError(ctx: DownloadContext, field: string, itemIndex: number): NodeApiError {
	return new NodeApiError(
		ctx.getNode(),
		{ field },
		{
			message: `The result has no ${field} to download${itemSuffix(itemIndex)}`,
			description:
				field === 'sub_image_urls'
					? "The API did not split the grid for this task. Choose 'Image File (Grid)' under 'Output' to get the whole grid."
					: 'The API returned no image link for this task.',
			itemIndex,
		},
	);
}

/** When one of the four images cannot be fetched, say whether the grid still can. */
async function explainSplitFailure(
	ctx: DownloadContext,
	error: unknown,
	result: IDataObject,
	quarter: number,
	itemIndex: number,
): Promise<Error> {
	const gridUrl = typeof result.image_url === 'string' ? result.image_url : '';
	let gridNote = '';
	if (gridUrl) {
		try {
			await downloadImageAsBinary(ctx, gridUrl, 'grid-check', itemIndex);
			gridNote = ` The grid image (${describeUrl(gridUrl)}) can still be downloaded: choose 'Image File (Grid)' under 'Output' to get it.`;
		} catch {
			gridNote = ' The grid image could not be downloaded either.';
		}
	}
	return new NodeApiError(
		ctx.getNode(),
		{ quarter, task_id: String(result.task_id ?? '') },
		{
			message: `Downloading image ${quarter} of 4 (${quarterPosition(quarter)}) failed: ${errorMessageOf(error)
				.replace(/^Downloading the result image failed: /, '')
				.replace(/ \[item \d+\]$/, '')}${itemSuffix(itemIndex)}`,
			description: `Task ${String(result.task_id ?? '')}.${gridNote}`,
			itemIndex,
		},
	);
}
