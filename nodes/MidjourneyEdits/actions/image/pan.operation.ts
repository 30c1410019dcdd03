import type { INodeProperties } from 'n8n-workflow';

import { executeFollowUp } from './followUp/operation';

/** Pan: extend an upscaled image in one direction, as a new 2x2 grid. */
export const choice: INodeProperties = {
	displayName: 'Direction',
	name: 'panDirection',
	type: 'options',
	options: [
		{ name: 'Down', value: 'pan_down' },
		{ name: 'Left', value: 'pan_left' },
		{ name: 'Right', value: 'pan_right' },
		{ name: 'Up', value: 'pan_up' },
	],
	default: 'pan_left',
	description: 'Which way to extend the upscaled image',
	displayOptions: { show: { resource: ['image'], operation: ['pan'] } },
};

export const execute = executeFollowUp({
	operation: 'pan',
	noun: 'pan',
	choiceParameter: { name: 'panDirection', displayName: 'Direction' },
});
