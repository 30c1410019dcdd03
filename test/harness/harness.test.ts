/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import {
	DEFAULT_TRIGGER_WEBHOOK_ID,
	callTriggerWebhook,
	callWebhookMethod,
	closeHarnessServer,
	getHarnessBaseUrl,
	loadWorkflowFixture,
	resumeAfterWaitTimeout,
	resumeWaitingExecution,
	runWorkflow,
	waitForResumedRun,
	type WorkflowFixture,
} from './index';

const FIXTURES = path.join(__dirname, '__fixtures__');
const AUTH_FIXTURE = path.join(FIXTURES, 'auth-request.workflow.json');
const BINARY_FIXTURE = path.join(FIXTURES, 'binary-transform.workflow.json');
const WAIT_FIXTURE = path.join(FIXTURES, 'wait-for-callback.workflow.json');

// ---------------------------------------------------------------------------------------------
// Test-only credential types and nodes
// ---------------------------------------------------------------------------------------------

class HarnessTestApi implements ICredentialType {
	name = 'harnessTestApi';

	displayName = 'Harness Test API';

	properties: INodeProperties[] = [
		{ displayName: 'API Token', name: 'apiToken', type: 'string', typeOptions: { password: true }, default: '' },
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		// Only ever given by its default: proves the harness fills defaults in like n8n.
		{ displayName: 'Scheme', name: 'scheme', type: 'string', default: 'Bearer' },
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '={{$credentials.scheme}} {{$credentials.apiToken}}' },
			qs: { client: 'harness' },
		},
	};
}

class HarnessFunctionAuthApi implements ICredentialType {
	name = 'harnessFunctionAuthApi';

	displayName = 'Harness Function Auth API';

	properties: INodeProperties[] = [
		{ displayName: 'Key', name: 'key', type: 'string', default: '' },
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return { ...requestOptions, headers: { ...requestOptions.headers, 'x-api-key': String(credentials.key) } };
	}
}

function describeNode(overrides: Partial<INodeTypeDescription> & Pick<INodeTypeDescription, 'name'>): INodeTypeDescription {
	return {
		displayName: overrides.name,
		group: ['transform'],
		version: 1,
		description: 'Harness test node',
		defaults: { name: overrides.name },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
		...overrides,
	};
}

/** GETs `<baseUrl><path>` with the chosen credential type through httpRequestWithAuthentication. */
class AuthRequestNode implements INodeType {
	description = describeNode({
		name: 'authRequest',
		credentials: [
			{ name: 'harnessTestApi', required: true, displayOptions: { show: { authentication: ['generic'] } } },
			{ name: 'harnessFunctionAuthApi', required: true, displayOptions: { show: { authentication: ['function'] } } },
			{ name: 'aceDataCloudApi', required: true, displayOptions: { show: { authentication: ['repo'] } } },
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [
					{ name: 'Generic', value: 'generic' },
					{ name: 'Function', value: 'function' },
					{ name: 'Repo Credential', value: 'repo' },
				],
				default: 'generic',
			},
			{ displayName: 'Path', name: 'path', type: 'string', default: '/' },
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				default: {},
				options: [
					{ displayName: 'Label', name: 'label', type: 'string', default: '' },
					{ displayName: 'Tag', name: 'tag', type: 'string', default: '' },
				],
			},
		],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credentialType = {
			generic: 'harnessTestApi',
			function: 'harnessFunctionAuthApi',
			repo: 'aceDataCloudApi',
		}[this.getNodeParameter('authentication', 0) as string] as string;
		const { baseUrl } = await this.getCredentials<{ baseUrl: string }>(credentialType);
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < this.getInputData().length; itemIndex++) {
			const response = (await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
				url: `${baseUrl}${this.getNodeParameter('path', itemIndex) as string}`,
				json: true,
			})) as IDataObject;
			output.push({
				json: { response, options: this.getNodeParameter('options', itemIndex) as IDataObject },
				pairedItem: { item: itemIndex },
			});
		}
		return [output];
	}
}

/** Reads an input binary the proper way and outputs an upper-cased copy as a new binary. */
class BinaryTransformNode implements INodeType {
	description = describeNode({
		name: 'binaryTransform',
		properties: [{ displayName: 'Binary Property', name: 'binaryPropertyName', type: 'string', default: 'data' }],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < this.getInputData().length; itemIndex++) {
			const property = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
			const metadata = this.helpers.assertBinaryData(itemIndex, property);
			const input = await this.helpers.getBinaryDataBuffer(itemIndex, property);
			const converted = await this.helpers.prepareBinaryData(
				Buffer.from(input.toString('utf8').toUpperCase()),
				'converted.txt',
				'text/plain',
			);
			output.push({
				json: { inputFileName: metadata.fileName ?? null, inputMimeType: metadata.mimeType, inputBytes: input.length },
				binary: { data: converted },
				pairedItem: { item: itemIndex },
			});
		}
		return [output];
	}
}

/** The mistake filesystem mode exists to catch: decoding `binary.x.data` instead of asking n8n. */
class NaiveBinaryReaderNode implements INodeType {
	description = describeNode({ name: 'naiveBinaryReader' });

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [
			this.getInputData().map((item, itemIndex) => ({
				json: { decoded: Buffer.from(item.binary?.data.data ?? '', 'base64').toString('utf8') },
				pairedItem: { item: itemIndex },
			})),
		];
	}
}

/** Reports what the engine tells a node about its execution, and counts runs in static data. */
class IntrospectNode implements INodeType {
	description = describeNode({ name: 'introspect' });

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const staticData = this.getWorkflowStaticData('global');
		staticData.runs = ((staticData.runs as number | undefined) ?? 0) + 1;
		return [
			[
				{
					json: {
						mode: this.getMode(),
						timezone: this.getTimezone(),
						executionId: this.evaluateExpression('{{ $execution.id }}', 0) as string,
						inputCount: this.getInputData().length,
						runs: staticData.runs,
					},
					pairedItem: { item: 0 },
				},
			],
		];
	}
}

const cancelSignalsSeen: string[] = [];
/** Called when a waitForCancel node starts (once). */
let whenWaitForCancelStarts: (() => void) | undefined;

/** Waits until n8n's execution cancel signal fires (or 10 s pass). */
class WaitForCancelNode implements INodeType {
	description = describeNode({ name: 'waitForCancel' });

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const signal = this.getExecutionCancelSignal();
		whenWaitForCancelStarts?.();
		whenWaitForCancelStarts = undefined;
		await new Promise<void>((resolve) => {
			const fallback = setTimeout(resolve, 10_000);
			signal?.addEventListener('abort', () => {
				cancelSignalsSeen.push(this.getNode().name);
				clearTimeout(fallback);
				resolve();
			});
		});
		return [this.getInputData()];
	}
}

/** Fails every item, handling "continue on error" the way n8n nodes do (error items). */
class FailingNode implements INodeType {
	description = describeNode({ name: 'failing' });

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < this.getInputData().length; itemIndex++) {
			const error = new NodeOperationError(this.getNode(), 'The harness node failed on purpose', {
				description: 'A description n8n shows below the message',
				itemIndex,
			});
			if (!this.continueOnFail()) throw error;
			output.push({ json: { error: error.message }, pairedItem: { item: itemIndex } });
		}
		return [output];
	}
}

/** The "send and wait" pattern: hands out the resume URL, waits, and resumes on a callback. */
class WaitForCallbackNode implements INodeType {
	description = describeNode({
		name: 'waitForCallback',
		webhooks: [
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '', restartWebhook: true },
		],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resumeUrl = this.evaluateExpression('{{ $execution.resumeUrl }}', 0) as string;
		await this.putExecutionToWait(new Date(Date.now() + 60 * 60 * 1000));
		return [this.getInputData().map((item, itemIndex) => ({ json: { ...item.json, resumeUrl }, pairedItem: { item: itemIndex } }))];
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const body = this.getBodyData();
		if (body.status !== 'done') return { webhookResponse: { accepted: false, status: body.status } };
		// The webhook runs with the waiting node's input, as in n8n (the items it waited for).
		const waitedFor = this.evaluateExpression('{{ $json.job }}', 0);
		return {
			webhookResponse: { accepted: true },
			workflowData: [[{ json: { callback: body, waitedFor } }]],
		};
	}
}

/** A trigger that checks a shared-secret header and counts deliveries in static data. */
class SignedEventsTrigger implements INodeType {
	description = describeNode({
		name: 'signedEventsTrigger',
		group: ['trigger'],
		inputs: [],
		credentials: [{ name: 'harnessTestApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'events' }],
		properties: [{ displayName: 'Event', name: 'event', type: 'string', default: 'done' }],
	});

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return this.getWorkflowStaticData('node').registeredUrl !== undefined;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				await this.getCredentials('harnessTestApi');
				this.getWorkflowStaticData('node').registeredUrl = this.getNodeWebhookUrl('default');
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				delete this.getWorkflowStaticData('node').registeredUrl;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const { apiToken } = await this.getCredentials<{ apiToken: string }>('harnessTestApi');
		if (this.getHeaderData()['x-signature'] !== apiToken) {
			this.getResponseObject().status(401).json({ message: 'Invalid signature' });
			return { noWebhookResponse: true };
		}
		const staticData = this.getWorkflowStaticData('node');
		staticData.deliveries = ((staticData.deliveries as number | undefined) ?? 0) + 1;
		const body = this.getBodyData();
		if (body.event !== this.getNodeParameter('event')) return { webhookResponse: { ignored: true } };
		return { workflowData: [this.helpers.returnJsonArray({ ...body, deliveries: staticData.deliveries })] };
	}
}

const TEST_NODE_TYPES = {
	'n8n-nodes-harness-test.authRequest': AuthRequestNode,
	'n8n-nodes-harness-test.binaryTransform': BinaryTransformNode,
	'n8n-nodes-harness-test.naiveBinaryReader': NaiveBinaryReaderNode,
	'n8n-nodes-harness-test.waitForCancel': WaitForCancelNode,
	'n8n-nodes-harness-test.failing': FailingNode,
	'n8n-nodes-harness-test.waitForCallback': WaitForCallbackNode,
	'n8n-nodes-harness-test.introspect': IntrospectNode,
};

/** Trigger → a node of the given type → No Op ("After"), as an in-memory fixture. */
function singleNodeWorkflow(type: string, nodeName: string): WorkflowFixture {
	const connect = (node: string) => ({ main: [[{ node, type: NodeConnectionTypes.Main, index: 0 }]] });
	return {
		name: `Harness: ${nodeName}`,
		nodes: [
			{ id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{ id: 'a2', name: nodeName, type, typeVersion: 1, position: [200, 0], parameters: {} },
			{ id: 'a3', name: 'After', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [400, 0], parameters: {} },
		],
		connections: { Start: connect(nodeName), [nodeName]: connect('After') },
	};
}

// ---------------------------------------------------------------------------------------------
// A local API that records what it receives
// ---------------------------------------------------------------------------------------------

interface ReceivedRequest {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
}

let api: Server;
let apiUrl: string;
const received: ReceivedRequest[] = [];

beforeAll(async () => {
	api = createServer((request, response) => {
		received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
		response.writeHead(200, { 'content-type': 'application/json' });
		response.end(JSON.stringify({ ok: true, url: request.url }));
	});
	await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
	apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => api.close(() => resolve()));
	await closeHarnessServer();
});

beforeEach(() => {
	received.length = 0;
});

// ---------------------------------------------------------------------------------------------

describe('runWorkflow: HTTP with authentication', () => {
	it('runs a fixture from disk: declarative auth with defaults, input items, expressions', async () => {
		const result = await runWorkflow(AUTH_FIXTURE, {
			nodeTypes: TEST_NODE_TYPES,
			credentialTypes: [HarnessTestApi],
			credentials: { harnessTestApi: { apiToken: 'secret-token', baseUrl: apiUrl } },
			input: [{ json: { id: 7 } }, { json: { id: 8 } }],
		});

		expect(result.status).toBe('success');
		expect(received.map((request) => request.url)).toEqual(['/items/7?client=harness', '/items/8?client=harness']);
		expect(received[0].headers.authorization).toBe('Bearer secret-token');
		expect(result.requestedCredentialTypes).toContain('harnessTestApi');
		expect(result.nodeOutputs('Call API').map((item) => item.json.response)).toEqual([
			{ ok: true, url: '/items/7?client=harness' },
			{ ok: true, url: '/items/8?client=harness' },
		]);
		expect(result.executedNodes).toEqual(['When clicking ‘Execute workflow’', 'Call API']);
	});

	it('deep-merges parameter overrides into the fixture', async () => {
		const result = await runWorkflow(AUTH_FIXTURE, {
			nodeTypes: TEST_NODE_TYPES,
			credentialTypes: [HarnessTestApi],
			credentials: { harnessTestApi: { apiToken: 't', baseUrl: apiUrl } },
			parameters: { 'Call API': { path: '/override', options: { label: 'from-test' } } },
		});

		expect(received.map((request) => request.url)).toEqual(['/override?client=harness']);
		expect(result.nodeOutputs('Call API')[0].json.options).toEqual({ label: 'from-test', tag: 'kept' });
	});

	it('applies function-style authenticate', async () => {
		const result = await runWorkflow(AUTH_FIXTURE, {
			nodeTypes: TEST_NODE_TYPES,
			credentialTypes: [HarnessFunctionAuthApi],
			credentials: { harnessFunctionAuthApi: { key: 'k-123', baseUrl: apiUrl } },
			parameters: { 'Call API': { authentication: 'function', path: '/fn' } },
			nodeSettings: { 'Call API': { credentials: { harnessFunctionAuthApi: { id: '2', name: 'Function auth' } } } },
		});

		expect(result.status).toBe('success');
		expect(received[0].headers['x-api-key']).toBe('k-123');
		expect(received[0].headers.authorization).toBeUndefined();
		expect(result.requestedCredentialTypes).toEqual(['harnessFunctionAuthApi', 'harnessFunctionAuthApi']);
	});

	it("finds the repo's own credential types without being told", async () => {
		const result = await runWorkflow(AUTH_FIXTURE, {
			nodeTypes: TEST_NODE_TYPES,
			credentials: { aceDataCloudApi: { apiToken: 'ace-token', baseUrl: apiUrl } },
			parameters: { 'Call API': { authentication: 'repo', path: '/ace' } },
			nodeSettings: { 'Call API': { credentials: { aceDataCloudApi: { id: '3', name: 'Ace' } } } },
		});

		expect(result.status).toBe('success');
		expect(received[0].headers.authorization).toBe('Bearer ace-token');
	});

	it('fails like n8n when the credential the node references was not given', async () => {
		const result = await runWorkflow(AUTH_FIXTURE, { nodeTypes: TEST_NODE_TYPES, credentialTypes: [HarnessTestApi] });

		expect(result.status).toBe('error');
		expect(result.error?.message).toContain('does not exist for type "harnessTestApi"');
		expect(received).toHaveLength(0);
	});

	it("uses the fixture's pinData in manual mode unless told not to", async () => {
		const pinned = { ...loadWorkflowFixture(AUTH_FIXTURE), pinData: { 'Call API': [{ json: { pinned: true } }] } };
		const options = {
			nodeTypes: TEST_NODE_TYPES,
			credentialTypes: [HarnessTestApi],
			credentials: { harnessTestApi: { apiToken: 't', baseUrl: apiUrl } },
		};

		const withPins = await runWorkflow(pinned, options);
		expect(withPins.nodeOutputs('Call API')[0].json).toEqual({ pinned: true });
		expect(received).toHaveLength(0);

		const withoutPins = await runWorkflow(pinned, { ...options, usePinData: false });
		expect(withoutPins.nodeOutputs('Call API')[0].json.response).toEqual({ ok: true, url: '/items/?client=harness' });
	});
});

describe('runWorkflow: workflow options', () => {
	it('passes mode, settings and static data to the engine, and can start at any node', async () => {
		const staticData: IDataObject = {};
		const options = {
			nodeTypes: TEST_NODE_TYPES,
			mode: 'trigger' as const,
			settings: { timezone: 'Europe/Berlin' },
			staticData,
		};
		const workflow = singleNodeWorkflow('n8n-nodes-harness-test.introspect', 'Introspect');

		const first = await runWorkflow(workflow, options);
		expect(first.nodeOutputs('Introspect')[0].json).toEqual({
			mode: 'trigger',
			timezone: 'Europe/Berlin',
			executionId: first.executionId,
			inputCount: 1,
			runs: 1,
		});

		const second = await runWorkflow(workflow, {
			...options,
			startNode: 'Introspect',
			input: [{ json: { a: 1 } }, { json: { a: 2 } }],
		});
		expect(second.executedNodes).toEqual(['Introspect', 'After']);
		expect(second.nodeOutputs('Introspect')[0].json).toMatchObject({ inputCount: 2, runs: 2 });
		expect(second.executionId).not.toBe(first.executionId);
		expect(staticData).toEqual({ global: { runs: 2 } });
	});

	it('names what is missing when a fixture cannot run', async () => {
		await expect(runWorkflow(AUTH_FIXTURE)).rejects.toThrow(
			'Unknown node type "n8n-nodes-harness-test.authRequest"',
		);
		await expect(
			runWorkflow(AUTH_FIXTURE, { nodeTypes: TEST_NODE_TYPES, parameters: { 'No Such Node': { path: '/' } } }),
		).rejects.toThrow('Override for node "No Such Node"');
	});
});

describe('runWorkflow: binary data', () => {
	it.each(['default', 'filesystem'] as const)(
		'reads input binaries and writes output binaries through the binary data service (%s mode)',
		async (binaryMode) => {
			const result = await runWorkflow(BINARY_FIXTURE, {
				nodeTypes: TEST_NODE_TYPES,
				binaryMode,
				input: [{ json: {}, binary: { data: { data: Buffer.from('hello file'), mimeType: 'text/plain', fileName: 'in.txt' } } }],
			});

			expect(result.status).toBe('success');
			const [item] = result.nodeOutputs('Transform');
			expect(item.json).toEqual({ inputFileName: 'in.txt', inputMimeType: 'text/plain', inputBytes: 10 });
			expect(item.binary?.data).toMatchObject({ fileName: 'converted.txt', mimeType: 'text/plain' });
			expect((await result.binaryBuffer(item, 'data')).toString()).toBe('HELLO FILE');
			if (binaryMode === 'filesystem') {
				expect(item.binary?.data.id).toMatch(/^filesystem-v2:/);
				expect(item.binary?.data.data).toBe('filesystem-v2');
			} else {
				expect(item.binary?.data.id).toBeUndefined();
				expect(Buffer.from(item.binary?.data.data ?? '', 'base64').toString()).toBe('HELLO FILE');
			}
		},
	);

	it('filesystem mode exposes a node that reads binary.data.data directly', async () => {
		const run = async (binaryMode: 'default' | 'filesystem') =>
			await runWorkflow(singleNodeWorkflow('n8n-nodes-harness-test.naiveBinaryReader', 'Naive'), {
				nodeTypes: TEST_NODE_TYPES,
				binaryMode,
				input: [{ json: {}, binary: { data: { data: Buffer.from('abc'), mimeType: 'text/plain' } } }],
			});

		expect((await run('default')).nodeOutputs('Naive')[0].json.decoded).toBe('abc');
		expect((await run('filesystem')).nodeOutputs('Naive')[0].json.decoded).not.toBe('abc');
	});
});

describe('runWorkflow: cancel and errors', () => {
	it('cancels like the stop button: the node sees its cancel signal, status is canceled', async () => {
		const result = await runWorkflow(singleNodeWorkflow('n8n-nodes-harness-test.waitForCancel', 'Slow'), {
			nodeTypes: TEST_NODE_TYPES,
			cancelAfterMs: 100,
		});

		// Without the cancel the node would end by itself after 10 s with status success.
		expect(result.status).toBe('canceled');
		expect(cancelSignalsSeen).toContain('Slow');
	});

	it('cancels when the cancelWhen promise resolves (a positive signal instead of a delay)', async () => {
		const started = new Promise<void>((resolve) => (whenWaitForCancelStarts = resolve));
		const result = await runWorkflow(singleNodeWorkflow('n8n-nodes-harness-test.waitForCancel', 'Signalled'), {
			nodeTypes: TEST_NODE_TYPES,
			cancelWhen: started,
		});
		expect(result.status).toBe('canceled');
		expect(cancelSignalsSeen).toContain('Signalled');
	});

	it('reports a node error as the execution error', async () => {
		const result = await runWorkflow(singleNodeWorkflow('n8n-nodes-harness-test.failing', 'Fail'), {
			nodeTypes: TEST_NODE_TYPES,
		});

		expect(result.status).toBe('error');
		expect(result.error?.message).toBe('The harness node failed on purpose');
		expect(result.error?.description).toBe('A description n8n shows below the message');
		expect(result.nodeError('Fail')?.message).toBe('The harness node failed on purpose');
		expect(() => result.nodeOutputs('Fail')).toThrow(/failed on purpose/);
		expect(result.nodeRuns('After')).toHaveLength(0);
	});

	it("with onError 'continueRegularOutput' the error comes out as an item", async () => {
		const result = await runWorkflow(singleNodeWorkflow('n8n-nodes-harness-test.failing', 'Fail'), {
			nodeTypes: TEST_NODE_TYPES,
			nodeSettings: { Fail: { onError: 'continueRegularOutput' } },
		});

		expect(result.status).toBe('success');
		expect(result.nodeOutputs('Fail')).toEqual([
			{ json: { error: 'The harness node failed on purpose' }, pairedItem: { item: 0 } },
		]);
		expect(result.nodeOutputs('After')[0].json.error).toBe('The harness node failed on purpose');
	});
});

describe('waiting executions', () => {
	const runWaiting = async () =>
		await runWorkflow(WAIT_FIXTURE, { nodeTypes: TEST_NODE_TYPES, input: [{ json: { job: 1 } }] });

	it('waits with a signed resume URL that the node can read as $execution.resumeUrl', async () => {
		const result = await runWaiting();
		const baseUrl = await getHarnessBaseUrl();

		expect(result.status).toBe('waiting');
		expect(result.waitTill?.getTime()).toBeGreaterThan(Date.now());
		expect(result.resumeUrl).toMatch(
			new RegExp(`^${baseUrl}/webhook-waiting/${result.executionId}\\?signature=[0-9a-f]{64}$`),
		);
		expect(result.nodeRuns('After')).toHaveLength(0);

		// The node's output while waiting is not saved as a finished run; its evaluated URL is only
		// visible through the execution data.
		const waitingRun = result.nodeRuns('Wait For Callback')[0];
		expect(waitingRun.data?.main[0]?.[0].json.resumeUrl).toBe(result.resumeUrl);
	});

	it('stays waiting while the webhook returns no workflowData, then resumes with its data', async () => {
		const waiting = await runWaiting();

		const notYet = await resumeWaitingExecution(waiting, { body: { status: 'running' } });
		expect(notYet.status).toBe('waiting');
		expect(notYet.resumeResponse).toMatchObject({ statusCode: 200, body: { accepted: false, status: 'running' } });

		const resumed = await resumeWaitingExecution(notYet, { body: { status: 'done', imageUrl: 'https://x/y.png' } });
		expect(resumed.status).toBe('success');
		expect(resumed.resumeResponse).toMatchObject({ statusCode: 200, body: { accepted: true } });
		expect(resumed.nodeOutputs('Wait For Callback')).toEqual([
			expect.objectContaining({ json: { callback: { status: 'done', imageUrl: 'https://x/y.png' }, waitedFor: 1 } }),
		]);
		expect(resumed.nodeOutputs('After')[0].json.callback).toEqual({ status: 'done', imageUrl: 'https://x/y.png' });
		expect(resumed.nodeRuns('Wait For Callback')).toHaveLength(1);

		const again = await resumeWaitingExecution(resumed, { body: { status: 'done' } });
		expect(again.resumeResponse?.statusCode).toBe(409);
	});

	it('refuses a resume request without the right signature, like n8n', async () => {
		const waiting = await runWaiting();
		const unsigned = waiting.resumeUrl.replace(/\?.*$/, '');

		const missing = await resumeWaitingExecution(waiting, { url: unsigned, body: { status: 'done' } });
		expect(missing.resumeResponse).toMatchObject({ statusCode: 401, body: { error: 'Invalid token' } });
		expect(missing.status).toBe('waiting');

		const wrong = await resumeWaitingExecution(waiting, { query: { signature: 'f'.repeat(64) }, body: { status: 'done' } });
		expect(wrong.resumeResponse?.statusCode).toBe(401);

		expect((await resumeWaitingExecution(waiting, { body: { status: 'done' } })).status).toBe('success');
	});

	it('matches the webhook path after the execution id, like n8n', async () => {
		const waiting = await runWaiting();
		const withOtherPath = waiting.resumeUrl.replace('?', '/other-path?');

		const refused = await resumeWaitingExecution(waiting, { url: withOtherPath, body: { status: 'done' } });
		expect(refused.resumeResponse?.statusCode).toBe(404);
		expect(refused.status).toBe('waiting');
	});

	it('resumes when something calls the resume URL over real HTTP', async () => {
		const waiting = await runWaiting();

		const response = await fetch(waiting.resumeUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ status: 'done', via: 'http' }),
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ accepted: true });

		const resumed = await waitForResumedRun(waiting);
		expect(resumed.status).toBe('success');
		expect(resumed.nodeOutputs('After')[0].json.callback).toEqual({ status: 'done', via: 'http' });

		const unsigned = await fetch(waiting.resumeUrl.replace(/\?.*$/, ''), { method: 'POST', body: '{}' });
		expect(unsigned.status).toBe(401);
	});

	it('continues with the waiting input when the wait time runs out (no callback)', async () => {
		const waiting = await runWaiting();

		const timedOut = await resumeAfterWaitTimeout(waiting);
		expect(timedOut.status).toBe('success');
		// Like n8n's Wait node on timeout: the waiting node passes its own input on.
		expect(timedOut.nodeOutputs('After')[0].json).toEqual({ job: 1 });
	});
});

describe('trigger webhooks', () => {
	const credentials = { harnessTestApi: { apiToken: 'shared-secret', baseUrl: 'unused' } };

	it('answers 401 and starts nothing when the signature is wrong', async () => {
		const result = await callTriggerWebhook(
			SignedEventsTrigger,
			{ event: 'done' },
			{ body: { event: 'done' }, headers: { 'X-Signature': 'wrong' } },
			{ credentials, credentialTypes: [HarnessTestApi] },
		);

		expect(result.responseStatus).toBe(401);
		expect(result.responseBody).toEqual({ message: 'Invalid signature' });
		expect(result.noWebhookResponse).toBe(true);
		expect(result.workflowData).toBeUndefined();
		expect(result.requestedCredentialTypes).toEqual(['harnessTestApi']);
	});

	it('starts the workflow with the event and keeps static data across calls', async () => {
		const staticData: IDataObject = {};
		const call = async (event: string) =>
			await callTriggerWebhook(
				SignedEventsTrigger,
				{ event: 'done' },
				{ body: { event, taskId: 't1' }, headers: { 'x-signature': 'shared-secret' } },
				{ credentials, credentialTypes: [HarnessTestApi], staticData },
			);

		const first = await call('done');
		expect(first.workflowData?.[0]).toEqual([{ json: { event: 'done', taskId: 't1', deliveries: 1 } }]);
		expect(first.response.ended).toBe(false);

		const ignored = await call('progress');
		expect(ignored.workflowData).toBeUndefined();
		expect(ignored.webhookResponse).toEqual({ ignored: true });

		const third = await call('done');
		expect(third.workflowData?.[0][0].json.deliveries).toBe(3);
		expect(staticData).toEqual({ 'node:Trigger': { deliveries: 3 } });
	});

	it('runs the webhook lifecycle methods through HookContext', async () => {
		const staticData: IDataObject = {};
		const options = { credentials, credentialTypes: [HarnessTestApi], staticData };

		expect((await callWebhookMethod(SignedEventsTrigger, {}, 'checkExists', options)).returned).toBe(false);
		const created = await callWebhookMethod(SignedEventsTrigger, {}, 'create', options);
		const baseUrl = await getHarnessBaseUrl();
		expect(created.webhookUrl).toBe(`${baseUrl}/webhook/${DEFAULT_TRIGGER_WEBHOOK_ID}/events`);
		expect(staticData).toEqual({ 'node:Trigger': { registeredUrl: created.webhookUrl } });
		expect(created.requestedCredentialTypes).toEqual(['harnessTestApi']);
		expect((await callWebhookMethod(SignedEventsTrigger, {}, 'checkExists', options)).returned).toBe(true);
		await callWebhookMethod(SignedEventsTrigger, {}, 'delete', options);
		expect(staticData).toEqual({ 'node:Trigger': {} });
	});
});
