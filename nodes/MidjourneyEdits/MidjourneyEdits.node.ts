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
		// the name does not: how an edit waits (an agent's tool always polls). Nothing for a task lookup.
		subtitle:
			'={{ ($parameter["resource"] ?? "image") === "image" && ($parameter["operation"] ?? "edit") === "edit" ? ({ callback: "Wait for Callback", none: "Don\'t Wait" }[$parameter["waitMode"]] ?? "Poll Until Done") : "" }}',
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
					{ name: 'Image', value: 'image', description: 'Edit an image with a prompt' },
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
