import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { webhookMethodsWithNothingToRegister } from '../shared/webhookLifecycle';
import { description as editDescription } from './actions/image/edit.operation';
import { resumeFromCallback } from './actions/image/edit/callbackResume';
import { followUpDescription } from './actions/image/followUp/description';
import { choice as panChoice } from './actions/image/pan.operation';
import { choice as upscaleChoice } from './actions/image/upscale.operation';
import { choice as varyChoice } from './actions/image/vary.operation';
import { choice as zoomOutChoice } from './actions/image/zoomOut.operation';
import { router } from './actions/router';
import { description as getDescription } from './actions/task/get.operation';
import { description as getManyDescription } from './actions/task/getMany.operation';

export class MidjourneyEdits implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Midjourney Edits',
		name: 'midjourneyEdits',
		icon: { light: 'file:midjourney.svg', dark: 'file:midjourney.dark.svg' },
		group: ['transform'],
		version: 1,
		// n8n names a new node after its action ("Edit image with prompt", "Get task"), so the subtitle says what
		// the name does not: how an edit or a follow-up waits (an agent's tool always polls). Nothing for a task lookup.
		subtitle:
			'={{ ($parameter["resource"] ?? "image") === "image" ? ({ callback: "Wait for Callback", none: "Don\'t Wait" }[$parameter["waitMode"]] ?? "Poll Until Done") : "" }}',
		description: 'Edit an image with a prompt using Midjourney (Ace Data Cloud), and look up edit tasks',
		defaults: { name: 'Midjourney Edits' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'aceDataCloudApi', required: true }],
		// Used only by "Wait for Callback": the API posts the result to this execution's resume URL.
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '',
				restartWebhook: true,
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Image', value: 'image', description: 'Edit an image with a prompt, then upscale, vary or reroll the result' },
					{ name: 'Task', value: 'task', description: 'Look up edit tasks by ID' },
				],
				default: 'image',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['image'] } },
				options: [
					{
						name: 'Edit',
						value: 'edit',
						action: 'Edit image with prompt',
						description: 'Send an image and a prompt; get the edited 2x2 grid (and optionally the four images)',
					},
					{
						name: 'Pan',
						value: 'pan',
						action: 'Pan image',
						description: 'Extend an upscaled image to the left, right, top or bottom; get a new 2x2 grid',
					},
					{
						name: 'Reroll',
						value: 'reroll',
						action: 'Reroll image',
						description: 'Run the prompt of a 2x2 grid again; get a new grid',
					},
					{
						name: 'Upscale',
						value: 'upscale',
						action: 'Upscale image',
						description: 'Make one quarter of a 2x2 grid a single larger image, or an upscaled image 2x / 4x larger',
					},
					{
						name: 'Vary',
						value: 'vary',
						action: 'Vary image',
						description: 'Get four variations of one quarter of a grid, or of an upscaled image (subtle, strong, or a masked region)',
					},
					{
						name: 'Zoom Out',
						value: 'zoomOut',
						action: 'Zoom out image',
						description: 'Show more scene around an upscaled image (2x or 1.5x); get a new 2x2 grid',
					},
				],
				default: 'edit',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['task'] } },
				options: [
					{
						name: 'Get',
						value: 'get',
						action: 'Get task',
						description: 'Retrieve an edit task by its ID: its status and, once finished, its result',
					},
					{
						name: 'Get Many',
						value: 'getMany',
						action: 'Get many tasks',
						description: 'Retrieve a list of edit tasks by their IDs, in one request',
					},
				],
				default: 'get',
			},
			...editDescription,
			...followUpDescription([upscaleChoice, varyChoice, zoomOutChoice, panChoice]),
			...getDescription,
			...getManyDescription,
		],
	};

	webhookMethods = webhookMethodsWithNothingToRegister;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeFromCallback.call(this);
	}
}
