import { HookContext } from 'n8n-core';
import type {
	INode,
	INodeCredentials,
	INodeParameters,
	INodeType,
	IVersionedNodeType,
	IWebhookData,
	IWorkflowExecuteAdditionalData,
	WebhookType,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { NodeHelpers, UnexpectedError, Workflow } from 'n8n-workflow';

import { HarnessCredentialsHelper } from './credentials-helper';
import { createAdditionalData, readBinary } from './engine';
import { useBinaryMode } from './environment';
import { FakeResponse, createFakeRequest } from './http-fakes';
import { HarnessNodeTypes, instantiateNodeType } from './node-types';
import type {
	NodeTypeImplementation,
	TriggerWebhookOptions,
	TriggerWebhookResult,
	WebhookRequestInput,
	WebhookSetupMethod,
} from './types';
import { getNodeWebhooks, runNodeWebhook } from './webhook-runner';

/** A fixed id, like the `webhookId` a fixture gives a trigger so its production URL is stable. */
export const DEFAULT_TRIGGER_WEBHOOK_ID = '00000000-0000-4000-8000-00000000beef';

const TRIGGER_WORKFLOW_ID = 'harness-trigger-workflow';

function latestVersion(nodeType: INodeType | IVersionedNodeType): number {
	if ('nodeVersions' in nodeType) return nodeType.currentVersion;
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

interface SingleNodeSetup {
	workflow: Workflow;
	node: INode;
	credentialsHelper: HarnessCredentialsHelper;
	additionalData: IWorkflowExecuteAdditionalData;
	mode: WorkflowExecuteMode;
}

/** A one-node workflow around the trigger, as n8n builds it from the saved workflow when a webhook fires. */
async function setUpTrigger(
	implementation: NodeTypeImplementation,
	parameters: INodeParameters,
	options: TriggerWebhookOptions,
): Promise<SingleNodeSetup> {
	const nodeType = instantiateNodeType(implementation);
	const typeName = `harness-trigger.${nodeType.description.name}`;
	const typeVersion = options.typeVersion ?? latestVersion(nodeType);
	const description = NodeHelpers.getVersionedNodeType(nodeType, typeVersion).description;
	const defaultCredentials: INodeCredentials = {};
	for (const credential of description.credentials ?? []) {
		defaultCredentials[credential.name] = { id: `${credential.name}-id`, name: credential.name };
	}
	const node: INode = {
		id: 'harness-trigger-node',
		name: options.nodeName ?? 'Trigger',
		type: typeName,
		typeVersion,
		position: [0, 0],
		parameters,
		webhookId: options.webhookId ?? DEFAULT_TRIGGER_WEBHOOK_ID,
		credentials: options.nodeCredentials ?? defaultCredentials,
	};
	const workflow = new Workflow({
		id: TRIGGER_WORKFLOW_ID,
		name: 'Harness trigger workflow',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes: new HarnessNodeTypes({ [typeName]: nodeType }),
		// The caller's object itself, so what the node stores is there for the next call.
		staticData: options.staticData ?? {},
		settings: { executionOrder: 'v1' },
	});
	const credentialsHelper = new HarnessCredentialsHelper(options.credentials, options.credentialTypes);
	const additionalData = await createAdditionalData(credentialsHelper, undefined, TRIGGER_WORKFLOW_ID);
	const workflowNode = workflow.getNode(node.name);
	if (!workflowNode) throw new UnexpectedError('The trigger node was not added to the workflow');
	return {
		workflow,
		node: workflowNode,
		credentialsHelper,
		additionalData,
		mode: options.mode ?? 'webhook',
	};
}

function findWebhook(
	setup: SingleNodeSetup,
	webhookName: WebhookType,
	httpMethod: string | undefined,
): IWebhookData {
	const webhooks = getNodeWebhooks(setup.workflow, setup.node, setup.additionalData).filter(
		(webhook) => webhook.webhookDescription.name === webhookName && webhook.webhookDescription.restartWebhook !== true,
	);
	const webhook = httpMethod ? webhooks.find((candidate) => candidate.httpMethod === httpMethod) : webhooks[0];
	if (!webhook) {
		const declared = webhooks.map((candidate) => candidate.httpMethod).join(', ') || 'none';
		throw new UnexpectedError(
			`The node declares no "${webhookName}" webhook${httpMethod ? ` for ${httpMethod}` : ''} (methods: ${declared})`,
		);
	}
	return webhook;
}

/**
 * Runs a trigger node's `webhook()` through n8n-core's WebhookContext with a fake express request
 * and response, as n8n does when a request reaches the node's production URL.
 */
export async function callTriggerWebhook(
	nodeType: NodeTypeImplementation,
	nodeParameters: INodeParameters,
	request: WebhookRequestInput = {},
	options: TriggerWebhookOptions = {},
): Promise<TriggerWebhookResult> {
	const setup = await setUpTrigger(nodeType, nodeParameters, options);
	await useBinaryMode('default');
	const method = (request.method ?? 'POST').toUpperCase();
	const webhookData = findWebhook(setup, options.webhookName ?? 'default', method);
	const fakeRequest = createFakeRequest({ ...request, method }, `/webhook/${webhookData.path}`);
	const fakeResponse = new FakeResponse();
	setup.additionalData.httpRequest = fakeRequest as unknown as IWorkflowExecuteAdditionalData['httpRequest'];
	setup.additionalData.httpResponse = fakeResponse as unknown as IWorkflowExecuteAdditionalData['httpResponse'];
	const webhookResult = await runNodeWebhook(
		setup.workflow,
		webhookData,
		setup.node,
		setup.additionalData,
		setup.mode,
		null,
	);
	const response = fakeResponse.recorded();
	return {
		...webhookResult,
		response,
		responseStatus: response.statusCode,
		responseBody: response.body,
		requestedCredentialTypes: [...setup.credentialsHelper.requestedTypes],
		binaryBuffer: async (item, property = 'data') => await readBinary(item, property),
	};
}

/**
 * Runs one of a trigger's webhook lifecycle methods (`webhookMethods[name].checkExists|create|delete`)
 * through n8n-core's HookContext, as n8n does when the workflow is activated or deactivated.
 * Returns what the method returned, plus the credential types it asked for.
 */
export async function callWebhookMethod(
	nodeType: NodeTypeImplementation,
	nodeParameters: INodeParameters,
	method: WebhookSetupMethod,
	options: TriggerWebhookOptions = {},
): Promise<{ returned: boolean | undefined; webhookUrl: string; requestedCredentialTypes: string[] }> {
	const setup = await setUpTrigger(nodeType, nodeParameters, options);
	const webhookName = options.webhookName ?? 'default';
	const webhookData = findWebhook(setup, webhookName, undefined);
	const implementation = setup.workflow.nodeTypes.getByNameAndVersion(setup.node.type, setup.node.typeVersion);
	const webhookFunction = implementation.webhookMethods?.[webhookName]?.[method];
	if (!webhookFunction) throw new UnexpectedError(`The node has no webhookMethods.${webhookName}.${method}`);
	const context = new HookContext(
		setup.workflow,
		setup.node,
		setup.additionalData,
		setup.mode,
		'activate',
		webhookData,
	);
	const returned = await webhookFunction.call(context);
	return {
		returned,
		webhookUrl: context.getNodeWebhookUrl(webhookName) ?? '',
		requestedCredentialTypes: [...setup.credentialsHelper.requestedTypes],
	};
}
