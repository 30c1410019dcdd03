import type { IDataObject, INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { taskFailureToNodeApiError } from '../../../../shared/errors';
import type { DownloadImages } from '../../../../shared/resultItems';
import { resultItemsFor } from '../../../../shared/resultItems';
import { outcomeFromResult } from '../../../../shared/taskOutcome';

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs when the API posts a result to the execution's resume URL ("Wait for Callback"): the items
 * returned become this node's output and the execution goes on. n8n cannot fail a node from a
 * webhook, so a failed task comes out as an item with `success: false` and the error, like the
 * API's own callback.
 */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const body = this.getBodyData();
	const res = this.getResponseObject();
	if (!isObject(body) || typeof body.task_id !== 'string' || body.task_id === '') {
		res.status(400).json({ error: 'Expected a JSON body with a task_id' });
		return { noWebhookResponse: true };
	}
	const outcome = outcomeFromResult(body, body.task_id);
	if (outcome.state === 'running') {
		// A progress report rather than a result: keep waiting.
		res.status(200).json({ received: true });
		return { noWebhookResponse: true };
	}
	const options = this.getNodeParameter('options', {}) as { downloadImages?: DownloadImages };
	const download = options.downloadImages ?? 'none';
	const continueOnFail = ['continueRegularOutput', 'continueErrorOutput'].includes(this.getNode().onError ?? '');

	let items: INodeExecutionData[];
	if (outcome.state === 'succeeded') {
		try {
			items = await resultItemsFor(this, outcome.result!, download, 0, continueOnFail);
		} catch (error) {
			items = [{ json: { ...outcome.result!, error: (error as Error).message }, pairedItem: { item: 0 } }];
		}
	} else {
		const error = taskFailureToNodeApiError(this.getNode(), outcome.taskId, outcome.error ?? {});
		items = [
			{
				json: { ...body, error: error.message, description: error.description ?? undefined },
				pairedItem: { item: 0 },
			},
		];
	}
	return { workflowData: [items] };
}
