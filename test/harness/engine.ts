/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { timingSafeEqual } from 'node:crypto';
import {
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	WAITING_TOKEN_QUERY_PARAM,
	WorkflowExecute,
	getAdditionalKeys,
	prepareBinaryData,
} from 'n8n-core';
import type {
	IBinaryData,
	IExecuteData,
	INode,
	INodeExecutionData,
	IRun,
	IRunExecutionData,
	IWebhookResponseData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { UnexpectedError, Workflow, createRunExecutionData } from 'n8n-workflow';

import { HarnessCredentialsHelper } from './credentials-helper';
import { getEnvironment, useBinaryMode } from './environment';
import { prepareFixture } from './fixture';
import { ensureHarnessServer } from './harness-server';
import { FakeResponse, createFakeRequest } from './http-fakes';
import { HarnessNodeTypes, MANUAL_TRIGGER_TYPE } from './node-types';
import type {
	BinaryMode,
	InputBinaryFile,
	InputItem,
	RecordedResponse,
	ResumeRequestInput,
	RunWorkflowOptions,
	WebhookRequestInput,
	WorkflowFixture,
	WorkflowRunResult,
} from './types';
import { getNodeWebhooks, runNodeWebhook } from './webhook-runner';

/** Everything n8n would keep about an execution between its runs (its database row, in effect). */
interface ExecutionRecord {
	executionId: string;
	workflowData: IWorkflowBase;
	nodeTypes: HarnessNodeTypes;
	credentialsHelper: HarnessCredentialsHelper;
	mode: WorkflowExecuteMode;
	binaryMode: BinaryMode;
	state: 'running' | 'waiting' | 'finished';
	/** The execution data as saved when it went waiting, serialized like n8n persists it. */
	savedRunExecutionData?: string;
	/** Results of every run of this execution, in order (a resume adds one). */
	results: WorkflowRunResult[];
	resultListeners: Array<() => void>;
}

const executions = new Map<string, ExecutionRecord>();
/** Position of each result among its execution's runs, for waitForResumedRun. */
const resultPositions = new WeakMap<WorkflowRunResult, number>();
let lastExecutionId = 0;

export async function getHarnessBaseUrl(): Promise<string> {
	return await ensureHarnessServer(handleWaitingWebhook);
}

function isInputBinaryFile(value: InputBinaryFile | IBinaryData): value is InputBinaryFile {
	return Buffer.isBuffer(value.data);
}

export async function createAdditionalData(
	credentialsHelper: HarnessCredentialsHelper,
	executionId: string | undefined,
	workflowId: string,
	hooks?: ExecutionLifecycleHooks,
): Promise<IWorkflowExecuteAdditionalData> {
	// Every entry point comes through here: the DI services must exist before any n8n-core context.
	await getEnvironment();
	const baseUrl = await getHarnessBaseUrl();
	const notInHarness = (feature: string) => async (): Promise<never> => {
		throw new UnexpectedError(`${feature} is not available in the test harness`);
	};
	return {
		hooks,
		credentialsHelper,
		executionId,
		workflowId,
		currentNodeExecutionIndex: 0,
		restApiUrl: `${baseUrl}/rest`,
		instanceBaseUrl: `${baseUrl}/`,
		webhookBaseUrl: `${baseUrl}/webhook`,
		webhookWaitingBaseUrl: `${baseUrl}/webhook-waiting`,
		webhookTestBaseUrl: `${baseUrl}/webhook-test`,
		formBaseUrl: `${baseUrl}/form`,
		formWaitingBaseUrl: `${baseUrl}/form-waiting`,
		formTestBaseUrl: `${baseUrl}/form-test`,
		mcpBaseUrl: `${baseUrl}/mcp`,
		mcpTestBaseUrl: `${baseUrl}/mcp-test`,
		variables: {},
		externalSecretsProxy: new ExternalSecretsProxy(),
		logAiEvent: () => {},
		executeWorkflow: notInHarness('Executing sub-workflows'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: notInHarness('The task runner (Code node)'),
	};
}

function createWorkflow(record: ExecutionRecord): Workflow {
	const { workflowData } = record;
	return new Workflow({
		id: workflowData.id,
		name: workflowData.name,
		nodes: structuredClone(workflowData.nodes),
		connections: workflowData.connections,
		active: false,
		nodeTypes: record.nodeTypes,
		// The same object every run, so static data survives a wait like n8n's saved workflow.
		staticData: workflowData.staticData,
		settings: workflowData.settings,
	});
}

function buildResult(
	record: ExecutionRecord,
	run: IRun,
	resumeUrl: string,
	executedNodes: string[],
	resumeResponse?: RecordedResponse,
): WorkflowRunResult {
	const runData = () => run.data.resultData.runData;
	const describeRuns = () =>
		Object.entries(runData())
			.map(([name, runs]) => {
				const failed = runs.find((task) => task.error);
				return failed ? `${name} (error: ${failed.error?.message})` : name;
			})
			.join(', ') || 'none';
	const result: WorkflowRunResult = {
		executionId: record.executionId,
		status: run.status,
		error: run.data.resultData.error,
		waitTill: run.waitTill ?? undefined,
		resumeUrl,
		requestedCredentialTypes: [...record.credentialsHelper.requestedTypes],
		executedNodes,
		run,
		runExecutionData: run.data,
		resumeResponse,
		nodeRuns: (nodeName) => runData()[nodeName] ?? [],
		nodeError: (nodeName, runIndex = 0) => runData()[nodeName]?.[runIndex]?.error,
		nodeOutputs: (nodeName, { runIndex = 0, outputIndex = 0 } = {}) => {
			const task = runData()[nodeName]?.[runIndex];
			if (!task) {
				throw new UnexpectedError(
					`Node "${nodeName}" has no run ${runIndex} (status ${run.status}; nodes that ran: ${describeRuns()})`,
				);
			}
			const items = task.data?.main?.[outputIndex];
			if (!items) {
				const reason = task.error ? `it failed: ${task.error.message}` : 'that output is empty';
				throw new UnexpectedError(`Node "${nodeName}" has no data on output ${outputIndex}: ${reason}`);
			}
			return items;
		},
		binaryBuffer: async (item, property = 'data') => await readBinary(item, property),
	};
	return result;
}

export async function readBinary(item: INodeExecutionData, property = 'data'): Promise<Buffer> {
	const binary = item.binary?.[property];
	if (!binary) {
		throw new UnexpectedError(
			`The item has no binary "${property}" (binaries: ${Object.keys(item.binary ?? {}).join(', ') || 'none'})`,
		);
	}
	// The 'default' service reads inline data and filesystem ids alike.
	const { binaryDataServices } = await getEnvironment();
	return await binaryDataServices.default.getAsBuffer(binary);
}

function recordResult(record: ExecutionRecord, result: WorkflowRunResult): void {
	resultPositions.set(result, record.results.length);
	record.results.push(result);
	for (const listener of record.resultListeners.splice(0)) listener();
}

/**
 * Runs the engine over the given execution data the way n8n's WorkflowRunner does for a run in the
 * main process: WorkflowExecute.processRunExecutionData, with lifecycle hooks; the PCancelable it
 * returns is what "stop" cancels, which aborts the nodes' execution cancel signal.
 */
async function runEngine(
	record: ExecutionRecord,
	workflow: Workflow,
	runExecutionData: IRunExecutionData,
	options: { cancelAfterMs?: number; cancelWhen?: Promise<unknown>; isResume: boolean; resumeResponse?: RecordedResponse },
): Promise<WorkflowRunResult> {
	await useBinaryMode(record.binaryMode);
	const hooks = new ExecutionLifecycleHooks(record.mode, record.executionId, record.workflowData);
	const executedNodes: string[] = [];
	hooks.addHandler('nodeExecuteAfter', (nodeName) => {
		executedNodes.push(nodeName);
	});
	let announceFinished: (run: IRun) => void = () => {};
	const finished = new Promise<IRun>((resolve) => {
		announceFinished = resolve;
	});
	hooks.addHandler('workflowExecuteAfter', (run) => announceFinished(run));

	const additionalData = await createAdditionalData(
		record.credentialsHelper,
		record.executionId,
		record.workflowData.id,
		hooks,
	);
	if (options.isResume) additionalData.restartExecutionId = record.executionId;
	const resumeUrl = String(
		getAdditionalKeys(additionalData, record.mode, runExecutionData).$execution?.resumeUrl,
	);

	record.state = 'running';
	const workflowExecute = new WorkflowExecute(additionalData, record.mode, runExecutionData);
	const execution = workflowExecute.processRunExecutionData(workflow);
	const cancelTimer =
		options.cancelAfterMs === undefined
			? undefined
			: setTimeout(() => execution.cancel(), options.cancelAfterMs);
	let cancelFailed: ((error: unknown) => void) | undefined;
	const cancelProblem = new Promise<never>((_, reject) => (cancelFailed = reject));
	// A cancelWhen that fails after the run ended concerns nobody.
	cancelProblem.catch(() => {});
	let settled = false;
	options.cancelWhen?.then(
		() => {
			if (!settled) execution.cancel();
		},
		(error: unknown) => cancelFailed?.(error),
	);
	let run: IRun;
	try {
		// On cancel n8n reports the execution through the workflowExecuteAfter hook at once, while
		// the engine winds down behind it; the hook's data is what the user sees.
		run = await Promise.race([finished, execution, ...(options.cancelWhen ? [cancelProblem] : [])]);
	} finally {
		settled = true;
		if (cancelTimer) clearTimeout(cancelTimer);
	}

	if (run.status === 'waiting') {
		record.state = 'waiting';
		record.savedRunExecutionData = JSON.stringify(run.data);
	} else {
		record.state = 'finished';
		record.savedRunExecutionData = undefined;
	}
	const result = buildResult(record, run, resumeUrl, executedNodes, options.resumeResponse);
	recordResult(record, result);
	return result;
}

async function storeInputItems(
	items: InputItem[] | undefined,
	executionId: string,
	workflowId: string,
): Promise<INodeExecutionData[]> {
	if (!items || items.length === 0) return [{ json: {} }];
	return await Promise.all(
		items.map(async (item): Promise<INodeExecutionData> => {
			if (!item.binary) return { json: item.json };
			const binary: Record<string, IBinaryData> = {};
			for (const [property, value] of Object.entries(item.binary)) {
				if (!isInputBinaryFile(value)) {
					binary[property] = value;
					continue;
				}
				binary[property] = await prepareBinaryData(
					value.data,
					executionId,
					workflowId,
					value.fileName,
					value.mimeType,
				);
			}
			return { json: item.json, binary };
		}),
	);
}

function findStartNode(workflow: Workflow, fixture: WorkflowFixture, startNodeName?: string): INode {
	if (startNodeName !== undefined) {
		const named = workflow.getNode(startNodeName);
		if (!named) throw new UnexpectedError(`Start node "${startNodeName}" is not in the workflow`);
		return named;
	}
	const manualTrigger = fixture.nodes.find((node) => node.type === MANUAL_TRIGGER_TYPE && !node.disabled);
	const startNode = manualTrigger ? workflow.getNode(manualTrigger.name) : workflow.getStartNode();
	if (!startNode) throw new UnexpectedError(`The workflow "${fixture.name}" has no node to start from`);
	return startNode;
}

/**
 * Runs a whole workflow through n8n-core's engine. See index.ts for the options and the result.
 */
export async function runWorkflow(
	fixtureOrPath: string | WorkflowFixture,
	options: RunWorkflowOptions = {},
): Promise<WorkflowRunResult> {
	const fixture = prepareFixture(fixtureOrPath, options);
	const mode = options.mode ?? 'manual';
	const binaryMode = options.binaryMode ?? 'default';
	const executionId = String(++lastExecutionId);
	const now = new Date();
	const record: ExecutionRecord = {
		executionId,
		workflowData: {
			id: fixture.id ?? 'harness-workflow',
			name: fixture.name,
			active: false,
			isArchived: false,
			activeVersionId: null,
			createdAt: now,
			updatedAt: now,
			nodes: fixture.nodes,
			connections: fixture.connections,
			settings: fixture.settings,
			staticData: options.staticData ?? fixture.staticData ?? {},
		},
		nodeTypes: new HarnessNodeTypes(options.nodeTypes),
		credentialsHelper: new HarnessCredentialsHelper(options.credentials, options.credentialTypes),
		mode,
		binaryMode,
		state: 'running',
		results: [],
		resultListeners: [],
	};
	executions.set(executionId, record);

	const workflow = createWorkflow(record);
	const startNode = findStartNode(workflow, fixture, options.startNode);
	await useBinaryMode(binaryMode);
	const inputItems = await storeInputItems(options.input, executionId, record.workflowData.id);
	const usePinData = (options.usePinData ?? true) && mode === 'manual' && fixture.pinData !== undefined;
	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: startNode, data: { main: [inputItems] }, source: null }],
		},
		resultData: { runData: {}, pinData: usePinData ? fixture.pinData : undefined },
	});
	return await runEngine(record, workflow, runExecutionData, {
		cancelAfterMs: options.cancelAfterMs,
		cancelWhen: options.cancelWhen,
		isResume: false,
	});
}

function isValidResumeToken(provided: string | undefined, stored: string): boolean {
	if (!provided || provided.length !== stored.length) return false;
	return timingSafeEqual(Buffer.from(provided), Buffer.from(stored));
}

function respond(statusCode: number, body: unknown): RecordedResponse {
	return { statusCode, headers: {}, body, ended: true };
}

interface WaitingWebhookOutcome {
	response: RecordedResponse;
	/** Set when the webhook returned workflowData: the resumed run, already under way. */
	resumedRun?: Promise<WorkflowRunResult>;
	record?: ExecutionRecord;
}

/**
 * What n8n's WaitingWebhooks (packages/cli) does with a request to a resume URL: checks the
 * `signature` against the execution's resume token, runs the waiting node's restart webhook through
 * WebhookContext, and when it returns workflowData, continues the execution from that node with it
 * (the node is disabled so it passes the data on instead of waiting again).
 */
async function processWaitingWebhook(
	executionId: string,
	suffix: string | undefined,
	request: WebhookRequestInput & { url: string },
): Promise<WaitingWebhookOutcome> {
	const record = executions.get(executionId);
	if (!record) return { response: respond(404, { message: `The execution "${executionId}" does not exist.` }) };

	const fakeRequest = createFakeRequest(request, request.url);
	const stored = record.savedRunExecutionData
		? (JSON.parse(record.savedRunExecutionData) as IRunExecutionData)
		: undefined;
	const storedToken = stored?.resumeToken ?? record.results.at(-1)?.runExecutionData.resumeToken;
	if (storedToken) {
		if (!isValidResumeToken(fakeRequest.query[WAITING_TOKEN_QUERY_PARAM], storedToken)) {
			return { response: respond(401, { error: 'Invalid token' }), record };
		}
	}
	if (record.state === 'running') {
		return { response: respond(409, { message: `The execution "${executionId}" is running already.` }), record };
	}
	if (record.state === 'finished' || !stored) {
		return { response: respond(409, { message: `The execution "${executionId} has finished already.` }), record };
	}

	const lastNodeExecuted = stored.resultData.lastNodeExecuted ?? '';
	const workflow = createWorkflow(record);
	const waitingNode = workflow.getNode(lastNodeExecuted);
	if (!waitingNode) return { response: respond(404, { message: 'Could not find node to process webhook.' }), record };

	await useBinaryMode(record.binaryMode);
	const fakeResponse = new FakeResponse();
	const additionalData = await createAdditionalData(
		record.credentialsHelper,
		record.executionId,
		record.workflowData.id,
	);
	const webhookData = getNodeWebhooks(workflow, waitingNode, additionalData).find(
		(webhook) =>
			webhook.httpMethod === fakeRequest.method &&
			webhook.path === (suffix ?? '') &&
			webhook.webhookDescription.restartWebhook === true,
	);
	if (!webhookData) {
		const message = `The workflow for execution "${executionId}" does not contain a waiting webhook with a matching path/method.`;
		return { response: respond(404, { message }), record };
	}

	const executionStack = stored.executionData?.nodeExecutionStack ?? [];
	const resumingEntry: IExecuteData | undefined = executionStack[0];
	if (!resumingEntry) throw new UnexpectedError(`Execution "${executionId}" has nothing left to run`);
	// Exactly n8n's preparation: the waiting node must not wait again, and its waiting run is dropped.
	resumingEntry.node.disabled = true;
	stored.waitTill = undefined;
	stored.resultData.runData[lastNodeExecuted]?.pop();

	additionalData.httpRequest = fakeRequest as unknown as IWorkflowExecuteAdditionalData['httpRequest'];
	additionalData.httpResponse = fakeResponse as unknown as IWorkflowExecuteAdditionalData['httpResponse'];
	record.state = 'running';
	let webhookResult: IWebhookResponseData;
	try {
		webhookResult = await runNodeWebhook(workflow, webhookData, waitingNode, additionalData, record.mode, stored);
	} catch (error) {
		record.state = 'waiting';
		const message = error instanceof Error ? error.message : String(error);
		return { response: respond(500, { code: 0, message }), record };
	}

	const writeDefaultResponse = (defaultBody: unknown) => {
		if (webhookResult.noWebhookResponse === true || fakeResponse.writableEnded) return;
		fakeResponse.status(200).json(webhookResult.webhookResponse ?? defaultBody);
	};
	if (webhookResult.workflowData === undefined) {
		// Nothing was saved, so the execution stays as it was: waiting.
		record.state = 'waiting';
		writeDefaultResponse({ message: 'Webhook call received' });
		return { response: fakeResponse.recorded(), record };
	}

	resumingEntry.data.main = webhookResult.workflowData;
	resumingEntry.metadata = { ...resumingEntry.metadata, forwardAllOutputs: true };
	writeDefaultResponse({ message: 'Workflow was started' });
	const response = fakeResponse.recorded();
	const resumedRun = runEngine(record, workflow, stored, { isResume: true, resumeResponse: response });
	return { response, resumedRun, record };
}

/** The HTTP listener's entry point: answers as soon as the resumed run has started, like n8n. */
async function handleWaitingWebhook(
	executionId: string,
	suffix: string | undefined,
	request: WebhookRequestInput & { url: string },
): Promise<RecordedResponse> {
	const outcome = await processWaitingWebhook(executionId, suffix, request);
	// A failed run still completes with a result; nothing else may reject here.
	outcome.resumedRun?.catch(() => {});
	return outcome.response;
}

function parseResumeUrl(url: string): { executionId: string; suffix?: string } {
	const match = /\/webhook-waiting\/([^/?]+)(?:\/([^?]*))?/.exec(new URL(url).pathname);
	if (!match) throw new UnexpectedError(`"${url}" is not a resume URL (…/webhook-waiting/<executionId>)`);
	return { executionId: match[1], suffix: match[2] || undefined };
}

/**
 * Sends a request to a waiting execution's resume URL (in-process). Returns the resumed run's result,
 * or, when the node's webhook returned no workflowData or the request was refused, the unchanged
 * waiting execution; either way `resumeResponse` holds what the caller was answered.
 */
export async function resumeWaitingExecution(
	result: WorkflowRunResult,
	request: ResumeRequestInput = {},
): Promise<WorkflowRunResult> {
	const url = request.url ?? result.resumeUrl;
	const { executionId, suffix } = parseResumeUrl(url);
	if (executionId !== result.executionId) {
		throw new UnexpectedError(`The URL "${url}" belongs to execution ${executionId}, not ${result.executionId}`);
	}
	const outcome = await processWaitingWebhook(executionId, suffix, { ...request, url });
	if (outcome.resumedRun) return await outcome.resumedRun;
	const latest = outcome.record?.results.at(-1) ?? result;
	const unchanged: WorkflowRunResult = { ...latest, resumeResponse: outcome.response };
	const position = resultPositions.get(latest);
	if (position !== undefined) resultPositions.set(unchanged, position);
	return unchanged;
}

/**
 * What n8n's WaitTracker does when `waitTill` passes without a callback: runs the execution again
 * as saved; the engine disables the waiting node, which then passes its input through.
 */
export async function resumeAfterWaitTimeout(result: WorkflowRunResult): Promise<WorkflowRunResult> {
	const record = executions.get(result.executionId);
	if (!record || record.state !== 'waiting' || !record.savedRunExecutionData) {
		throw new UnexpectedError(`Execution "${result.executionId}" is not waiting`);
	}
	const stored = JSON.parse(record.savedRunExecutionData) as IRunExecutionData;
	// The engine checks for a set waitTill to recognise a resumed execution; JSON made it a string.
	stored.waitTill = new Date(stored.waitTill ?? Date.now());
	return await runEngine(record, createWorkflow(record), stored, { isResume: true });
}

/**
 * Resolves with the next run of the execution after `result` (e.g. once a fake API has called the
 * resume URL over HTTP).
 */
export async function waitForResumedRun(
	result: WorkflowRunResult,
	{ timeoutMs = 5000 }: { timeoutMs?: number } = {},
): Promise<WorkflowRunResult> {
	const record = executions.get(result.executionId);
	const position = resultPositions.get(result);
	if (!record || position === undefined) {
		throw new UnexpectedError('Not a result of runWorkflow/resumeWaitingExecution');
	}
	const nextIndex = position + 1;
	return await new Promise<WorkflowRunResult>((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new UnexpectedError(`Execution ${result.executionId} did not run again within ${timeoutMs} ms`));
		}, timeoutMs);
		const check = () => {
			const next = record.results[nextIndex];
			if (next) {
				clearTimeout(timer);
				resolve(next);
			} else {
				record.resultListeners.push(check);
			}
		};
		check();
	});
}
