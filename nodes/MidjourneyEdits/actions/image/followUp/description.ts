import type { INodeProperties } from 'n8n-workflow';

import { editDescription } from '../edit.description';

/** The operations on a finished result; each runs POST /midjourney/imagine on the batch engine. */
export const FOLLOW_UP_OPERATIONS = ['upscale', 'vary', 'reroll', 'zoomOut', 'pan'];

const showForFollowUps = { resource: ['image'], operation: FOLLOW_UP_OPERATIONS };

/** Mask fields of the Options collection: for a follow-up, only Vary (Region) takes a mask. */
const MASK_OPTIONS = ['maskBase64', 'maskBinaryPropertyName'];

/**
 * One of the Edit's properties, shown for the follow-ups instead: the same field, wording and
 * defaults (saved workflows use the same names), not a second copy to keep in step.
 */
function editPropertyForFollowUps(name: string): INodeProperties {
	const property = editDescription.find((candidate) => candidate.name === name);
	if (!property) throw new Error(`The Edit description has no property '${name}'`);
	const display = property.displayOptions ?? {};
	return { ...property, displayOptions: { ...display, show: { ...display.show, ...showForFollowUps } } };
}

/** The Edit's Options, with the mask fields offered only to Vary (Region). */
function optionsForFollowUps(): INodeProperties {
	const options = editPropertyForFollowUps('options');
	return {
		...options,
		options: (options.options as INodeProperties[]).map((option) =>
			MASK_OPTIONS.includes(option.name)
				? { ...option, displayOptions: { show: { '/operation': ['vary'], '/varyAction': ['variation_region'] } } }
				: option,
		),
	};
}

/**
 * The panel of every follow-up: Image ID (from the incoming item by default, so "Edit → Upscale"
 * needs no expression), the operation's own choice, then Speed, Output, Wait Mode and Options as on Edit.
 */
export function followUpDescription(choices: INodeProperties[]): INodeProperties[] {
	return [
		{
			displayName:
				'Each input item is one paid Midjourney task on a finished result (about 1-2 minutes each), billed to your Ace Data Cloud account even if you discard the result. Try one item before running a large batch.',
			name: 'followUpCostNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: showForFollowUps },
		},
		{
			displayName: 'Image ID',
			name: 'imageId',
			type: 'string',
			default: '={{ $json.image_id }}',
			required: true,
			placeholder: 'e.g. 1391372193836826624',
			description:
				'The image_id of a finished Midjourney result: by default the incoming item\'s, so this node works right after an Edit (or another Upscale, Vary...) that waited for its result',
			displayOptions: { show: showForFollowUps },
		},
		...choices,
		editPropertyForFollowUps('mode'),
		editPropertyForFollowUps('output'),
		editPropertyForFollowUps('waitMode'),
		editPropertyForFollowUps('callbackNotice'),
		optionsForFollowUps(),
	];
}
