import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { assertImage, decodeBase64Strict, stripDataUriPrefix } from '../../../../shared/images';
import type { RateLimitGate } from '../../../../shared/pacing';
import { uploadFileToPlatform } from '../../../../shared/transport';
import type { EditPlan, MaskInput } from './plan';

async function readImageFromBinary(
	ctx: IExecuteFunctions,
	itemIndex: number,
	property: string,
	what: string,
	fieldName: string,
): Promise<{ data: Buffer; fileName: string; mimeType: string }> {
	const item = ctx.getInputData()[itemIndex];
	if (!item.binary?.[property]) {
		const available = Object.keys(item.binary ?? {});
		throw new NodeOperationError(
			ctx.getNode(),
			`No binary field '${property}' in the input (${fieldName}) [item ${itemIndex + 1}]`,
			{
				itemIndex,
				description: available.length
					? `This item has the binary fields: ${available.join(', ')}. Put one of them in '${fieldName}'.`
					: `This item has no files. Add a node that provides the ${what} (Form Trigger, Read File, HTTP Request...) before this one.`,
			},
		);
	}
	const binary = ctx.helpers.assertBinaryData(itemIndex, property);
	// getBinaryDataBuffer works whatever the binary mode (memory, filesystem, database).
	const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
	const kind = assertImage(ctx, data, `${what} in '${property}'`, `Check the file in the binary field '${property}'.`, itemIndex);
	const fileName = binary.fileName ?? `image.${kind.extension}`;
	return { data, fileName, mimeType: kind.mimeType };
}

/**
 * The mask as the API takes it: raw base64 (the format is not documented: we send raw base64 and
 * accept a data URI by stripping it). Undefined without a mask. Used by Edit and by Vary Region.
 */
export async function maskForRequest(ctx: IExecuteFunctions, itemIndex: number, mask: MaskInput): Promise<string | undefined> {
	if (mask.source === 'binary') {
		const file = await readImageFromBinary(ctx, itemIndex, mask.property, 'mask image', 'Mask Input Data Field Name');
		return file.data.toString('base64');
	}
	if (mask.source === 'base64') {
		const raw = stripDataUriPrefix(mask.value);
		const decoded = decodeBase64Strict(raw);
		if (!decoded) {
			throw new NodeOperationError(ctx.getNode(), `'Mask as Text' is not valid base64 [item ${itemIndex + 1}]`, {
				itemIndex,
				description: 'Paste the mask image encoded as base64, optionally with a "data:image/png;base64," prefix.',
			});
		}
		assertImage(ctx, decoded, 'mask in "Mask (Base64)"', 'The mask must be a PNG, JPEG, WebP or GIF image: white = change, black = keep.', itemIndex);
		return raw;
	}
	return undefined;
}

/**
 * Turns an item's image and mask into what the API takes: an image URL (uploading a binary image
 * to the platform first) and a raw base64 mask. Runs for every item before any paid submission,
 * so a bad file fails early.
 */
export async function prepareEditBody(
	ctx: IExecuteFunctions,
	plan: EditPlan,
	gate: RateLimitGate,
	signal?: AbortSignal,
): Promise<IDataObject> {
	const { itemIndex } = plan;
	const mask = await maskForRequest(ctx, itemIndex, plan.mask);

	let imageUrl: string;
	if (plan.image.source === 'url') {
		imageUrl = plan.image.url;
	} else {
		const file = await readImageFromBinary(ctx, itemIndex, plan.image.property, 'input image', 'Input Data Field Name');
		imageUrl = await uploadFileToPlatform(ctx, file, {
			itemIndex,
			gate,
			signal,
			errorPrefix: 'Uploading the input image failed',
		});
	}

	const body: IDataObject = {
		action: 'generate',
		image_url: imageUrl,
		prompt: plan.prompt,
		mode: plan.mode,
	};
	// The API's default is no split; asked only when the output uses the four images (see readEditPlan).
	if (plan.splitImages) body.split_images = true;
	if (mask !== undefined) body.mask = mask;
	return body;
}
