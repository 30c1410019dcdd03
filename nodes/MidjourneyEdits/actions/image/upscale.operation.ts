import type { INodeProperties } from 'n8n-workflow';

import { executeFollowUp } from './followUp/operation';
import type { FollowUpKind } from './followUp/plan';

const kind: FollowUpKind = {
	operation: 'upscale',
	noun: 'upscale',
	choiceParameter: { name: 'upscaleAction', displayName: 'Upscale' },
};

/** Upscale: one quarter of a 2x2 grid to a single image, or an upscaled image again (2x / 4x). */
export const choice: INodeProperties = {
	displayName: 'Upscale',
	name: 'upscaleAction',
	type: 'options',
	options: [
		{ name: 'Quarter 1 (Top Left)', value: 'upscale1', description: 'Of a 2x2 grid: the top-left image as one larger image' },
		{ name: 'Quarter 2 (Top Right)', value: 'upscale2', description: 'Of a 2x2 grid: the top-right image as one larger image' },
		{ name: 'Quarter 3 (Bottom Left)', value: 'upscale3', description: 'Of a 2x2 grid: the bottom-left image as one larger image' },
		{ name: 'Quarter 4 (Bottom Right)', value: 'upscale4', description: 'Of a 2x2 grid: the bottom-right image as one larger image' },
		{ name: 'Upscaled Image: Creative 4x', value: 'upscale_4x', description: 'Of an upscaled image: four times the size, adding detail' },
		{ name: 'Upscaled Image: Subtle 2x', value: 'upscale_2x', description: 'Of an upscaled image: twice the size, close to the original' },
	],
	default: 'upscale1',
	description: 'Which image to upscale, and how',
	displayOptions: { show: { resource: ['image'], operation: ['upscale'] } },
};

export const execute = executeFollowUp(kind);
