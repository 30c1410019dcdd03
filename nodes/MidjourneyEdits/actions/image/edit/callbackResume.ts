import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { callbackItems, readFinishedCallback } from '../../../../shared/callbackIntake';
import type { DownloadImages } from '../../../../shared/resultItems';

/**
 * Runs when the API posts a result to the execution's resume URL ("Wait for Callback"): the items
 * returned become this node's output and the execution goes on. Without workflowData n8n keeps
 * the execution waiting (a malformed or in-progress post does not end the wait).
 */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const callback = readFinishedCallback(this);
	if (!callback) return { noWebhookResponse: true };
	const options = this.getNodeParameter('options', {}) as { downloadImages?: DownloadImages };
	return { workflowData: [await callbackItems(this, callback, options.downloadImages ?? 'none', 0)] };
}
