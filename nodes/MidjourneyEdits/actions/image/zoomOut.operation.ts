import type { INodeProperties } from 'n8n-workflow';

import { executeFollowUp } from './followUp/operation';

/** Zoom Out: an upscaled image with more scene around it, as a new 2x2 grid. */
export const choice: INodeProperties = {
	displayName: 'Zoom Out',
	name: 'zoomOutAction',
	type: 'options',
	options: [
		{ name: '1.5x', value: 'zoom_out_1_5x', description: 'Half as much scene again around the image' },
		{ name: '2x', value: 'zoom_out_2x', description: 'Twice as much scene around the image' },
	],
	default: 'zoom_out_2x',
	description: 'How far to zoom out of the upscaled image',
	displayOptions: { show: { resource: ['image'], operation: ['zoomOut'] } },
};

export const execute = executeFollowUp({
	operation: 'zoomOut',
	noun: 'zoom out',
	choiceParameter: { name: 'zoomOutAction', displayName: 'Zoom Out' },
});
