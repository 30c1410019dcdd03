import type { INodeProperties } from 'n8n-workflow';

import { downloadImagesOption } from '../../../shared/resultItems';

const showFor = { resource: ['image'], operation: ['edit'] };

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
				name: 'Image URL',
				value: 'url',
				description: 'A direct link to the image file (not a web page)',
			},
			{
				name: 'File From a Previous Node',
				value: 'binary',
				description:
					'An image in a binary field (Form Trigger upload, Google Drive, email attachment...). It is uploaded to Ace Data Cloud first.',
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
		placeholder: 'https://example.com/photos/cat.jpg',
		description:
			'Direct http(s) link to the PNG, JPEG, WebP or GIF image to edit. It must be public: Ace Data Cloud downloads it from the internet.',
		displayOptions: { show: { ...showFor, imageSource: ['url'] } },
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'data',
		hint: 'The name shown above the file in the previous node\'s output (Binary tab), e.g. "data" or a form field\'s name',
		description: 'Name of the binary field that holds the image file (PNG, JPEG, WebP or GIF, up to 20 MB)',
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
		displayName: 'Wait Mode',
		name: 'waitMode',
		type: 'options',
		noDataExpression: true,
		options: [
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
					'Pause the execution until the API has called n8n back with every item\'s result. Needs an n8n the internet can reach (public WEBHOOK_URL).',
			},
			{
				name: "Don't Wait (Return Task ID)",
				value: 'none',
				description:
					'Return the task ID at once; get the result later with "Task → Get" or a Midjourney Edits Trigger. The edit is still made and billed.',
			},
		],
		default: 'poll',
		displayOptions: { show: showFor },
	},
	{
		displayName:
			'The API must reach this n8n over the internet: set WEBHOOK_URL to n8n\'s public address. For n8n on localhost or behind a firewall, use "Poll Until Done".',
		name: 'callbackNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { ...showFor, waitMode: ['callback'] } },
	},
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'https://your-n8n.example.com/webhook/.../callback',
		description:
			'Optional. Where Ace Data Cloud sends the result when it is ready: paste the Production URL of a Midjourney Edits Trigger (shown at the top of that node).',
		displayOptions: { show: { ...showFor, waitMode: ['none'] } },
	},
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		options: [
			{ name: 'Fast', value: 'fast', description: 'The usual speed and price (about 1-2 minutes)' },
			{ name: 'Relax', value: 'relax', description: 'Cheaper, but can queue for several minutes' },
			{ name: 'Turbo', value: 'turbo', description: 'Fastest, and the most expensive per edit' },
		],
		default: 'fast',
		description: 'Midjourney speed mode. It sets the price of each edit: see your Ace Data Cloud price list.',
		displayOptions: { show: showFor },
	},
	{
		displayName: 'Split Images',
		name: 'splitImages',
		type: 'boolean',
		default: false,
		description:
			'Whether to also get the four pictures of the 2x2 grid as separate images (links in sub_image_urls)',
		displayOptions: { show: showFor },
	},
	{
		displayName: 'Mask',
		name: 'maskSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'No Mask', value: 'none', description: 'Midjourney may change any part of the image' },
			{
				name: 'File From a Previous Node',
				value: 'binary',
				description: 'A black-and-white image in a binary field, the same size as the input image',
			},
			{ name: 'Base64 Text', value: 'base64', description: 'The mask image as base64 or a data URI' },
		],
		default: 'none',
		description:
			'Limit the edit to part of the image: white areas of the mask are regenerated, black areas are kept',
		displayOptions: { show: showFor },
	},
	{
		displayName: 'Mask Binary Field',
		name: 'maskBinaryPropertyName',
		type: 'string',
		default: 'mask',
		required: true,
		placeholder: 'mask',
		description:
			'Name of the binary field holding the mask image (white = change, black = keep), the same size as the input image',
		displayOptions: { show: { ...showFor, maskSource: ['binary'] } },
	},
	{
		displayName: 'Mask (Base64)',
		name: 'maskBase64',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'data:image/png;base64,iVBORw0KGgo...',
		description:
			'The mask image as base64 (a data: URI prefix is fine). White = change, black = keep.',
		typeOptions: { rows: 2 },
		displayOptions: { show: { ...showFor, maskSource: ['base64'] } },
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
				displayName: 'Allow Private Callback Address',
				name: 'allowPrivateCallbackUrl',
				type: 'boolean',
				default: false,
				description:
					"Whether to send a callback address that the API can't normally reach (localhost, a private network). Only useful behind a tunnel or proxy that forwards it.",
				displayOptions: { show: { '/waitMode': ['callback', 'none'] } },
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 50 },
				default: 5,
				description:
					'How many edits to submit at the same time at the start of a batch (each item is billed). While the API accepts them the node sends more at once, up to Max Concurrency; on a rate limit (429) it halves and waits, which costs time, never a second charge.',
			},
			downloadImagesOption(
				'Output one item per image of the grid, each with its file in "data" (turns on Split Images)',
				'Google Drive, email or a form',
			),
			{
				displayName: 'Max Concurrency',
				name: 'maxConcurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 200 },
				default: 50,
				description:
					'The most edits the node submits at the same time however well the API keeps up. Set it equal to Concurrency for a fixed rate, e.g. when your account\'s rate limit is known.',
			},
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollIntervalSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 300 },
				default: 5,
				description: 'How often to ask the API whether the edits are done',
				displayOptions: { show: { '/waitMode': ['poll'] } },
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 86400 },
				default: 600,
				description:
					'How long to wait for the result before giving up on an item. The task may still finish later: fetch it with "Task → Get".',
				displayOptions: { show: { '/waitMode': ['poll', 'callback'] } },
			},
		],
	},
];
