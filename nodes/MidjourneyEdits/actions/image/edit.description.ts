import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_MAX_CONCURRENCY, DEFAULT_START_CONCURRENCY } from '../../../shared/pacing';
import { outputParameter } from '../../../shared/resultItems';

const showFor = { resource: ['image'], operation: ['edit'] };
/** An agent gets links and waits by polling (see isToolCall): these choices are hidden from it. */
const notForAgents = { '@tool': [true] };

/** Parameter names are public interface: saved workflows reference them. */
export const editDescription: INodeProperties[] = [
	{
		displayName:
			'Each input item is one paid Midjourney edit (about 1-2 minutes each), billed to your Ace Data Cloud account even if you discard the result. Try one item before running a large batch.',
		name: 'costNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: showFor },
	},
	{
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'File From a Previous Node',
				value: 'binary',
				description:
					'A file in an input field (Form Trigger upload, Google Drive, email attachment...). It is uploaded to Ace Data Cloud first.',
			},
			{
				name: 'Image URL',
				value: 'url',
				description: 'A direct link to the image file (not a web page)',
			},
		],
		default: 'url',
		displayOptions: { show: showFor },
	},
	{
		displayName: 'Image URL',
		name: 'imageUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. https://example.com/photos/cat.jpg',
		description:
			'Direct http(s) link to the PNG, JPEG, WebP or GIF image to edit. It must be public: Ace Data Cloud downloads it from the internet.',
		displayOptions: { show: { ...showFor, imageSource: ['url'] } },
	},
	{
		displayName: 'Input Data Field Name',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data',
		hint: "The name shown above the file in the previous node's output (Binary tab), e.g. 'data' or a form field's name",
		description: 'Name of the input field that holds the image file (PNG, JPEG, WebP or GIF, up to 20 MB)',
		displayOptions: { show: { ...showFor, imageSource: ['binary'] } },
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. the same cat, as a watercolor painting',
		description:
			'Describe the edited image in English: what to change and the style you want. Drag a field from the input on the left to use a different prompt per item.',
		typeOptions: { rows: 3 },
		displayOptions: { show: showFor },
	},
	{
		displayName: 'Speed',
		name: 'mode',
		type: 'options',
		options: [
			{ name: 'Fast', value: 'fast', description: 'The usual speed and price (about 1-2 minutes)' },
			{ name: 'Relax', value: 'relax', description: 'Cheaper, but can queue for several minutes' },
			{ name: 'Turbo', value: 'turbo', description: 'Fastest, and the most expensive per task' },
		],
		default: 'fast',
		description: "Midjourney's speed. It sets the price of each task: see your Ace Data Cloud price list.",
		displayOptions: { show: showFor },
	},
	outputParameter(
		"The four variations as separate files, one output item each, with the file in 'data'",
		{ displayOptions: { show: showFor, hide: notForAgents } },
	),
	{
		displayName: 'Wait Mode',
		name: 'waitMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: "Don't Wait (Return Task ID)",
				value: 'none',
				description:
					"Return the task ID at once; get the result later with the Task resource's 'Get' operation or a Midjourney Edits Trigger. Midjourney still does the work, and it is billed.",
			},
			{
				name: 'Poll Until Done',
				value: 'poll',
				description:
					'The node waits and outputs the finished result. Works everywhere, including n8n on localhost or behind a firewall.',
			},
			{
				name: 'Wait for Callback',
				value: 'callback',
				description:
					"Pause the execution until Ace Data Cloud has called n8n back with every item's result. Needs n8n's public address to be reachable from the internet.",
			},
		],
		default: 'poll',
		displayOptions: { show: showFor, hide: notForAgents },
	},
	{
		displayName:
			"Ace Data Cloud must reach this n8n over the internet at n8n's public address (the WEBHOOK_URL setting of your n8n). For n8n on localhost or behind a firewall, use 'Poll Until Done'.",
		name: 'callbackNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { ...showFor, waitMode: ['callback'] }, hide: notForAgents },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: showFor },
		options: [
			{
				displayName: 'Allow Private Callback URL',
				name: 'allowPrivateCallbackUrl',
				type: 'boolean',
				default: false,
				description:
					"Whether to send a callback URL that the API can't normally reach (localhost, a private network). Only useful behind a tunnel or proxy that forwards it. Defaults to off.",
				displayOptions: { show: { '/waitMode': ['callback', 'none'] } },
			},
			{
				displayName: 'Callback URL',
				name: 'callbackUrl',
				type: 'string',
				default: '',
				placeholder: 'e.g. https://your-n8n.example.com/webhook/.../callback',
				description:
					'Where Ace Data Cloud sends the result when it is ready: paste the Production URL of a Midjourney Edits Trigger (shown at the top of that node)',
				displayOptions: { show: { '/waitMode': ['none'] } },
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 200 },
				default: DEFAULT_START_CONCURRENCY,
				description:
					"How many tasks to submit at the same time at the start of a batch (each item is billed). Defaults to 100. While the API accepts them the node sends more at once, up to 'Max Concurrency'; when the API says it gets too many requests it slows down to what the API takes and waits, which costs time, never a second charge.",
			},
			{
				displayName: 'Mask as Text',
				name: 'maskBase64',
				type: 'string',
				default: '',
				placeholder: 'e.g. data:image/png;base64,iVBORw0KGgo...',
				description:
					"The mask image written out as text (base64, as some tools export images; a leading 'data:' part is fine). White areas are regenerated, black areas are kept. Use this or 'Mask Input Data Field Name', not both.",
				typeOptions: { rows: 2 },
			},
			{
				displayName: 'Mask Input Data Field Name',
				name: 'maskBinaryPropertyName',
				type: 'string',
				default: 'mask',
				placeholder: 'e.g. mask',
				description:
					"Limit the change to part of the image: the input field holding a black-and-white mask image, the same size as the input image. White areas are regenerated, black areas are kept. Defaults to 'mask'.",
			},
			{
				displayName: 'Max Concurrency',
				name: 'maxConcurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 200 },
				default: DEFAULT_MAX_CONCURRENCY,
				description:
					"The most tasks the node submits at the same time however well the API keeps up. Defaults to 200. Set it equal to 'Concurrency' for a fixed rate, e.g. when your account's rate limit is known.",
			},
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollIntervalSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 300 },
				default: 5,
				description: 'How often to ask Ace Data Cloud whether the tasks are done. Defaults to 5 seconds.',
				displayOptions: { show: { '/waitMode': ['poll'] } },
			},
			{
				displayName: 'Simplify',
				name: 'simplify',
				type: 'boolean',
				default: true,
				description:
					"Whether to return a simplified version of the response instead of the raw data. Simplified: task_id, image_url, sub_image_urls, image_width, image_height, image_id, actions and success. Defaults to on.",
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 86400 },
				default: 600,
				description:
					"How long to wait for the result before giving up on an item. Defaults to 600 seconds (10 minutes). The task may still finish later: fetch it with the Task resource's 'Get' operation.",
				displayOptions: { show: { '/waitMode': ['poll', 'callback'] } },
			},
		],
	},
];
