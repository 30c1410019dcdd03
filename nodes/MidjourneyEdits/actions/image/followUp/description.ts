import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

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

/**
 * Output for the follow-ups. The Edit's own for those that make a new 2x2 grid; an upscale's result is
 * one image, so its Output offers only the file or the link, and its hint says so (the same parameter
 * name and values: a saved 'split' is still refused before any request, followUp/plan.ts).
 */
function outputsForFollowUps(): INodeProperties[] {
	const output = editPropertyForFollowUps('output');
	const gridMaking = FOLLOW_UP_OPERATIONS.filter((operation) => operation !== 'upscale');
	const upscaleChoices = (output.options as INodePropertyOptions[])
		.filter((option) => option.value !== 'split')
		.map((option) =>
			option.value === 'grid'
				? { ...option, name: 'Image File', description: "The upscaled image as a file in the output's 'data' field" }
				: { ...option, description: 'Only the link to the upscaled image (image_url). Links can expire: choose a file to keep the image.' },
		);
	return [
		{ ...output, displayOptions: { ...output.displayOptions, show: { ...showForFollowUps, operation: gridMaking } } },
		{
			...output,
			options: upscaleChoices,
			hint: 'An upscale returns one image',
			displayOptions: { ...output.displayOptions, show: { ...showForFollowUps, operation: ['upscale'] } },
		},
	];
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
		...outputsForFollowUps(),
		editPropertyForFollowUps('waitMode'),
		editPropertyForFollowUps('callbackNotice'),
		optionsForFollowUps(),
	];
}
