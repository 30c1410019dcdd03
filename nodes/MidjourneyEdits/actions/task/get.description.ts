import type { INodeProperties } from 'n8n-workflow';

/** n8n's Simplify toggle for one Task operation; the Edit has the same one under Options. */
function simplifyFor(operation: 'get' | 'getMany'): INodeProperties {
	return {
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description:
			"Whether to return a simplified version of the response instead of the raw data. Simplified: task_id, status, image_url, sub_image_urls, image_width, image_height, image_id, actions, and the error of a failed task. Defaults to on.",
		displayOptions: { show: { resource: ['task'], operation: [operation] } },
	};
}

export const getDescription: INodeProperties[] = [
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. b8b7fdc2-628e-40dd-bc0c-671c3ddac9e9',
		description:
			'The task_id a Midjourney Edits node output when it submitted the edit. Looking a task up does not start (or bill) a new edit.',
		displayOptions: { show: { resource: ['task'], operation: ['get'] } },
	},
	simplifyFor('get'),
];

export const getManyDescription: INodeProperties[] = [
	{
		displayName: 'Task IDs',
		name: 'taskIds',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. b8b7fdc2-628e-40dd-bc0c-671c3ddac9e9, 807f62de-c63e-4add-8345-7f0ae6dd18e7',
		description:
			"Task IDs separated by commas or new lines. One output item per ID, in the same order; unknown IDs come out with status 'not_found'.",
		typeOptions: { rows: 3 },
		displayOptions: { show: { resource: ['task'], operation: ['getMany'] } },
	},
	simplifyFor('getMany'),
];
