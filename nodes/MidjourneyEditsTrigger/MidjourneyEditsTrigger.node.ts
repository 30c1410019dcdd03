import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import {
	acceptSignedCallback,
	callbackItems,
	claimedTaskId,
	isFinished,
	lookUpOutcomes,
	maxCallbackAgeSeconds,
} from '../shared/callbackIntake';
import type { ResultOutput } from '../shared/resultItems';
import { outputParameter } from '../shared/resultItems';
import { rememberTaskOnce } from '../shared/seenTasks';
import { webhookMethodsWithNothingToRegister } from '../shared/webhookLifecycle';

interface TriggerOptions {
	verifySignature?: boolean;
	maxCallbackAgeHours?: number;
}

export class MidjourneyEditsTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Midjourney Edits Trigger',
		name: 'midjourneyEditsTrigger',
		icon: { light: 'file:midjourney.svg', dark: 'file:midjourney.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "On " + ({ both: "Finished", succeeded: "Successful", failed: "Failed" }[$parameter["events"]] ?? "Finished") + " Edit" }}',
		// n8n's node panel shows one entry for the action node and this trigger, with this description.
		description: 'Edit images with a prompt in Midjourney (Ace Data Cloud), and start a workflow when an edit finishes',
		defaults: { name: 'Midjourney Edits Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'aceDataCloudApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'callback',
			},
		],
		properties: [
			{
				displayName:
					"Copy this node's Production URL (above) into the 'Callback URL' option of a Midjourney Edits node whose 'Wait Mode' is 'Don't Wait', then activate this workflow. Ace Data Cloud must reach n8n's public address over the internet.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Trigger On',
				name: 'events',
				type: 'options',
				// n8n's rule for a trigger's events: named 'Trigger On', no tooltip; each option says what it starts on.
				options: [
					{
						name: 'Failed Edit',
						value: 'failed',
						description: 'Only edits that failed, e.g. to alert someone when a prompt was refused',
					},
					{
						name: 'Finished Edit',
						value: 'both',
						description: "Each edit that succeeded or failed, once. Failed edits come out with success false and the reason in 'error'.",
					},
					{ name: 'Successful Edit', value: 'succeeded', description: 'Only edits that succeeded; failed edits are ignored' },
				],
				default: 'both',
			},
			outputParameter(
				"The four variations as separate files, one output item each, with the file in 'data'. Needs 'Four Image Files' on the Midjourney Edits node that made the edit.",
			),
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Max Callback Age (Hours)',
						name: 'maxCallbackAgeHours',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 48,
						description:
							'Refuse callbacks whose signed URL is older than this, in hours (0 = no limit). Defaults to 48 hours. Limits what a leaked URL can do.',
					},
					{
						displayName: 'Verify Signature',
						name: 'verifySignature',
						type: 'boolean',
						default: true,
						description:
							'Whether to accept only callbacks whose URL was signed by a Midjourney Edits node with this credential. Turn off only for callbacks submitted by other tools: then anyone who knows the URL can start this workflow. Defaults to on.',
					},
				],
			},
		],
	};

	webhookMethods = webhookMethodsWithNothingToRegister;

	/**
	 * A callback only says "task X may be done": the task is looked up with our token, and only a
	 * finished task the API knows starts the workflow, with the API's record as its data.
	 */
	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const res = this.getResponseObject();
		const options = this.getNodeParameter('options', {}) as TriggerOptions;

		if (options.verifySignature !== false) {
			const ownUrl = this.getNodeWebhookUrl('default') ?? '';
			if (!(await acceptSignedCallback(this, ownUrl, maxCallbackAgeSeconds(options.maxCallbackAgeHours)))) {
				return { noWebhookResponse: true };
			}
		}

		const taskId = claimedTaskId(this);
		if (!taskId) return { noWebhookResponse: true };
		const outcomes = await lookUpOutcomes(this, [taskId]);
		if (!outcomes) return { noWebhookResponse: true };
		const outcome = outcomes.get(taskId)!;
		// Unknown or unfinished: acknowledged (2xx, so no sender retries forever), nothing starts.
		if (!isFinished(outcome)) {
			res.status(200).json({ received: true });
			return { noWebhookResponse: true };
		}
		// Callbacks may repeat: one task starts at most one execution.
		if (!rememberTaskOnce(this, taskId)) {
			res.status(200).json({ received: true, duplicate: true });
			return { noWebhookResponse: true };
		}
		const events = this.getNodeParameter('events', 'both') as string;
		if (events !== 'both' && events !== outcome.state) {
			res.status(200).json({ received: true });
			return { noWebhookResponse: true };
		}
		const items = await callbackItems(this, outcome, this.getNodeParameter('output', 'grid') as ResultOutput);
		return { workflowData: [items] };
	}
}
