import type { INodeProperties } from 'n8n-workflow';

import { executeFollowUp } from './followUp/operation';
import type { FollowUpKind } from './followUp/plan';

const kind: FollowUpKind = {
	operation: 'vary',
	noun: 'variation',
	choiceParameter: { name: 'varyAction', displayName: 'Variation' },
};

/** Vary: four new variations of a quarter of a grid, or of an upscaled image (subtle, strong, a region). */
export const choice: INodeProperties = {
	displayName: 'Variation',
	name: 'varyAction',
	type: 'options',
	options: [
		{ name: 'Quarter 1 (Top Left)', value: 'variation1', description: 'Of a 2x2 grid: a new grid of variations of the top-left image' },
		{ name: 'Quarter 2 (Top Right)', value: 'variation2', description: 'Of a 2x2 grid: a new grid of variations of the top-right image' },
		{ name: 'Quarter 3 (Bottom Left)', value: 'variation3', description: 'Of a 2x2 grid: a new grid of variations of the bottom-left image' },
		{ name: 'Quarter 4 (Bottom Right)', value: 'variation4', description: 'Of a 2x2 grid: a new grid of variations of the bottom-right image' },
		{
			name: 'Upscaled Image: Region (With a Mask)',
			value: 'variation_region',
			description: "Of an upscaled image: vary only the white part of a mask (add the mask under 'Options')",
		},
		{ name: 'Upscaled Image: Strong', value: 'variation_strong', description: 'Of an upscaled image: bolder variations' },
		{ name: 'Upscaled Image: Subtle', value: 'variation_subtle', description: 'Of an upscaled image: variations close to it' },
	],
	default: 'variation1',
	description: 'Which image to vary, and how',
	displayOptions: { show: { resource: ['image'], operation: ['vary'] } },
};

export const execute = executeFollowUp(kind);
