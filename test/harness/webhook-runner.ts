import { WebhookContext } from 'n8n-core';
import type {
	IHttpRequestMethods,
	INode,
	IRunExecutionData,
	IWebhookData,
	IWebhookResponseData,
	IWorkflowExecuteAdditionalData,
	Workflow,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Node, NodeHelpers, UnexpectedError } from 'n8n-workflow';

/**
 * The webhooks a node declares, with path, method and flags resolved the way n8n's WebhookService
 * does it (`getNodeWebhooks`, packages/cli), which n8n-core does not export.
 */
export function getNodeWebhooks(
	workflow: Workflow,
	node: INode,
	additionalData: IWorkflowExecuteAdditionalData,
): IWebhookData[] {
	if (node.disabled === true) return [];
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const descriptions = nodeType.description.webhooks ?? [];
	const workflowId = workflow.id || '__UNSAVED__';
	const webhooks: IWebhookData[] = [];
	for (const webhookDescription of descriptions) {
		const resolve = <T>(value: string | boolean | undefined, defaultValue?: T) =>
			workflow.expression.getSimpleParameterValue(
				node,
				value,
				'internal',
				{},
				undefined,
				defaultValue as boolean | string | undefined,
			);
		const rawPath = resolve(webhookDescription.path);
		if (rawPath === undefined) continue;
		const nodeWebhookPath = String(rawPath).replace(/^\//, '').replace(/\/$/, '');
		const isFullPath = resolve(webhookDescription.isFullPath, false) as boolean;
		const restartWebhook = resolve(webhookDescription.restartWebhook, false) as boolean;
		const path = NodeHelpers.getNodeWebhookPath(
			workflowId,
			node,
			nodeWebhookPath,
			isFullPath,
			restartWebhook,
		);
		const methods = resolve(webhookDescription.httpMethod, 'GET');
		if (methods === undefined) continue;
		const webhookId =
			(path.startsWith(':') || path.includes('/:')) && node.webhookId ? node.webhookId : undefined;
		for (const httpMethod of String(methods).split(',')) {
			if (!httpMethod.trim()) continue;
			webhooks.push({
				httpMethod: httpMethod.trim() as IHttpRequestMethods,
				node: node.name,
				path,
				webhookDescription,
				workflowId,
				workflowExecuteAdditionalData: additionalData,
				webhookId,
			});
		}
	}
	return webhooks;
}

/** Runs a node's `webhook()` through n8n-core's WebhookContext, as n8n's WebhookService.runWebhook does. */
export async function runNodeWebhook(
	workflow: Workflow,
	webhookData: IWebhookData,
	node: INode,
	additionalData: IWorkflowExecuteAdditionalData,
	mode: WorkflowExecuteMode,
	runExecutionData: IRunExecutionData | null,
): Promise<IWebhookResponseData> {
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	if (nodeType.webhook === undefined) {
		throw new UnexpectedError(`Node "${node.name}" (${node.type}) has no webhook() method`);
	}
	const context = new WebhookContext(
		workflow,
		node,
		additionalData,
		mode,
		webhookData,
		[],
		runExecutionData,
	);
	if (nodeType instanceof Node) return await nodeType.webhook(context);
	return await nodeType.webhook.call(context);
}
